"""The ``ServingEndpoint`` Pulumi dynamic resource and its provider.

The provider object is pickled *by reference* into every resource's state (it lives
in an installed package, pulumi-notes.md §1), so what it pickles is only plain
settings. The dynamic-provider host unpickles it once per process and calls
``configure`` on that instance, which keeps the stack's control-plane settings on
``self`` (never pickled: ``__getstate__`` drops them). Credentials and the HTTP client
are resolved inside each call; tests inject ``http`` (e.g. Starlette's ``TestClient``).

Inputs and outputs go through the Pulumi codec (``servingops.model.pulumi_inputs``):
``spec`` (the endpoint file, plaintext secrets masked), ``secret_values`` (a Pulumi
secret: the plaintext values by path), ``source`` (file). Outputs: ``name``,
``endpoint_id``, ``invocation_url``, ``config_version``, ``ready``, ``state`` (the live
``EndpointState`` as JSON, write-only values as fingerprints), ``spec``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from servingops.auth import make_auth, resolve_credentials
from servingops.client import ControlPlaneClient
from servingops.diff import diff_endpoint, needs_replace
from servingops.errors import ToolError
from servingops.loader import check_document
from servingops.model.endpoint import EndpointSpec
from servingops.model.pulumi_inputs import from_inputs, integral, previous_spec
from servingops.model.state import EndpointState, desired_state
from servingops.reconcile import Reconciler

CONFIG_KEYS = {
    "host": "host",
    "token": "token",
    "client_id": "clientId",
    "client_secret": "clientSecret",
}
T = TypeVar("T")


class EndpointProvider(ResourceProvider):
    """Reconciles one serving endpoint per resource: check, diff, create, read, update, delete."""

    def __init__(
        self,
        deadline_seconds: float | None = None,
        adopt: bool = True,
        *,
        http: httpx.Client | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.deadline_seconds = deadline_seconds
        self.adopt = adopt
        self.http = http
        """An HTTP client to use instead of a new one per call (tests); never pickled."""
        self.settings: dict[str, str] = dict(settings or {})
        """Control-plane settings from ``configure`` (host, token …); never pickled."""

    def __getstate__(self) -> dict[str, Any]:
        """Only plain settings go into Pulumi state: no client, no credentials."""
        return {"deadline_seconds": self.deadline_seconds, "adopt": self.adopt}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state.get("deadline_seconds"), state.get("adopt", True))  # type: ignore[misc]

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the stack's control-plane settings on this (per-process) instance."""
        for attr, key in CONFIG_KEYS.items():
            value = req.config.get(key)
            if value:
                self.settings[attr] = str(value)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Schema and semantic checks of the spec (the program already ran them with lines)."""
        if _has_unknowns(news.get("spec")):
            return CheckResult(news, [])
        source = news.get("source") or "<inputs>"
        found = check_document(integral(news.get("spec") or {}), source, allow_plaintext=True)
        failures = [CheckFailure("source", f"{d.json_path}: {d.message}") for d in found]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare the live state recorded in outputs with the declared spec."""
        if _has_unknowns(news.get("spec")) or _has_unknowns(news.get("secret_values")):
            return DiffResult(changes=True)
        changes = diff_endpoint(_state(olds) or _empty_state(), desired_state(_spec(news)))
        replaces = ["spec"] if needs_replace(changes) else []
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create or adopt the endpoint, wait for it, smoke-check it."""
        spec = _spec(props)
        outs = self._run(lambda r: r.create(spec))
        return CreateResult(spec.name, _outputs(outs, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the live state; an endpoint deleted by hand reads as gone."""
        state = self._run(lambda r: r.read(id_, _state(props)))
        if state is None:
            return ReadResult("", {})
        return ReadResult(id_, {**props, "state": state.to_json()})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the changed groups in order, wait, smoke-check (rollback on request)."""
        spec = _spec(news)
        record = _state(olds)
        previous = None
        if olds.get("spec"):
            old_spec = integral(olds["spec"])
            secrets = news.get("secret_values")
            previous = previous_spec(old_spec, record, secrets, olds.get("source", ""))
        outs = self._run(lambda r: r.update(spec, previous, record))
        return UpdateResult(_outputs(outs, news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Delete the endpoint (pay-per-token references are left alone)."""
        spec = EndpointSpec.from_mapping(integral(props["spec"]), props.get("source", ""))
        self._run(lambda r: r.delete(spec))

    def _run(self, action: Callable[[Reconciler], T]) -> T:
        get = self.settings.get
        creds = resolve_credentials(
            get("host"), get("token"), get("client_id"), get("client_secret")
        )
        with ControlPlaneClient(
            creds.host, make_auth(creds), http=self.http, timeout=300.0
        ) as client:
            rec = Reconciler(client, creds.host, deadline_s=self.deadline_seconds, adopt=self.adopt)
            return action(rec)


class ServingEndpoint(Resource, module="serving", name="ServingEndpoint"):
    """One serving endpoint declared by an ``endpoints/<name>.yaml`` file."""

    name: pulumi.Output[str]
    endpoint_id: pulumi.Output[str]
    invocation_url: pulumi.Output[str]
    config_version: pulumi.Output[int]
    ready: pulumi.Output[str]
    state: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        spec: dict[str, Any],
        secret_values: dict[str, str],
        source: str,
        provider: EndpointProvider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "spec": spec,
            "secret_values": pulumi.Output.secret(secret_values),
            "source": source,
            **dict.fromkeys(
                ("name", "endpoint_id", "invocation_url", "config_version", "ready", "state")
            ),
        }
        super().__init__(provider or EndpointProvider(), resource_name, props, opts)


def _spec(props: dict[str, Any]) -> EndpointSpec:
    return from_inputs(props["spec"], props.get("secret_values"), props.get("source", ""))


def _state(props: dict[str, Any]) -> EndpointState | None:
    """The ``state`` output recorded at the last write (None before the first)."""
    raw = props.get("state")
    return EndpointState.from_json(integral(raw)) if isinstance(raw, dict) else None


def _empty_state() -> EndpointState:
    return EndpointState.from_json({})


def _outputs(outs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {**outs, "spec": props["spec"], "source": props.get("source", "")}


def _has_unknowns(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknowns(v) for v in value)
    return isinstance(value, pulumi.output.Unknown)


_format_exc = traceback.format_exc


def _format_exc_without_traceback_for_tool_errors(*args: Any, **kwargs: Any) -> str:
    """Our errors are complete messages; show them without a Python traceback.

    The dynamic-provider servicer reports every exception with
    ``traceback.format_exc()`` (pulumi/sdk/python/lib/pulumi/dynamic/__main__.py,
    ``_abort_with_traceback``). Anything that is not a ToolError keeps its traceback.
    """
    import sys

    err = sys.exc_info()[1]
    if isinstance(err, ToolError):
        return f"{type(err).__name__}: {err}"
    return _format_exc(*args, **kwargs)


traceback.format_exc = _format_exc_without_traceback_for_tool_errors
