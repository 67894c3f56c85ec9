"""The ``ServingEndpoint`` Pulumi dynamic resource and its provider.

The provider object is pickled *by reference* into every resource's state (it lives
in an installed package, pulumi-notes.md §1), so it holds only plain settings; the
HTTP client and credentials are built inside each call, from the stack config given
to ``configure`` or the ``DATABRICKS_*`` environment.

Inputs: ``spec`` (the endpoint file, plaintext secrets replaced by a placeholder),
``secret_values`` (a Pulumi secret: the plaintext values by path), ``source`` (file).
Outputs: ``name``, ``endpoint_id``, ``invocation_url``, ``config_version``, ``ready``,
``state`` (canonical live state, write-only values as fingerprints), ``spec``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, TypeVar

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
from servingops.reconcile import Reconciler
from servingops.secrets import merge_secrets
from servingops.spec import EndpointSpec
from servingops.state import desired_state

_STACK_CONFIG: dict[str, str] = {}
CONFIG_KEYS = {
    "host": "host",
    "token": "token",
    "client_id": "clientId",
    "client_secret": "clientSecret",
}
T = TypeVar("T")


class EndpointProvider(ResourceProvider):
    """Reconciles one serving endpoint per resource: check, diff, create, read, update, delete."""

    def __init__(self, deadline_seconds: float | None = None, adopt: bool = True) -> None:
        self.deadline_seconds = deadline_seconds
        self.adopt = adopt

    def configure(self, req: ConfigureRequest) -> None:
        """Remember the stack's control-plane settings for this provider process."""
        for attr, key in CONFIG_KEYS.items():
            value = req.config.get(key)
            if value:
                _STACK_CONFIG[attr] = str(value)

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
        changes = diff_endpoint(integral(olds.get("state") or {}), desired_state(_spec(news)))
        replaces = ["spec"] if needs_replace(changes) else []
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create or adopt the endpoint, wait for it, smoke-check it."""
        spec = _spec(props)
        outs = self._run(lambda r: r.create(spec))
        return CreateResult(spec.name, _outputs(outs, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the live state; an endpoint deleted by hand reads as gone."""
        state = self._run(lambda r: r.read(id_, integral(props.get("state"))))
        if state is None:
            return ReadResult("", {})
        return ReadResult(id_, {**props, "state": state})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the changed groups in order, wait, smoke-check (rollback on request)."""
        spec = _spec(news)
        previous = _previous_spec(olds, news)
        record = integral(olds.get("state"))
        outs = self._run(lambda r: r.update(spec, previous, record))
        return UpdateResult(_outputs(outs, news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Delete the endpoint (pay-per-token references are left alone)."""
        spec = EndpointSpec.from_yaml(integral(props["spec"]), props.get("source", ""))
        self._run(lambda r: r.delete(spec))

    def _run(self, action: Callable[[Reconciler], T]) -> T:
        get = _STACK_CONFIG.get
        creds = resolve_credentials(
            get("host"), get("token"), get("client_id"), get("client_secret")
        )
        with ControlPlaneClient(creds.host, make_auth(creds), timeout=300.0) as client:
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


def integral(value: Any) -> Any:
    """Whole-number floats back to ints (Pulumi carries every number as a double)."""
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _spec(props: dict[str, Any]) -> EndpointSpec:
    raw = merge_secrets(integral(props["spec"]), props.get("secret_values") or {})
    return EndpointSpec.from_yaml(raw, props.get("source", ""))


def _previous_spec(olds: dict[str, Any], news: dict[str, Any]) -> EndpointSpec | None:
    """The last applied spec, with secret values where they are unchanged."""
    if not olds.get("spec"):
        return None
    try:
        return _spec(
            {
                "spec": olds["spec"],
                "secret_values": news.get("secret_values"),
                "source": olds.get("source", ""),
            }
        )
    except (KeyError, IndexError, TypeError):
        return EndpointSpec.from_yaml(integral(olds["spec"]), olds.get("source", ""))


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
