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
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

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

from providers import validated
from providers.connection import open_client, settings_from
from providers.server import parse_workers, set_workers
from servingops.diff import diff_endpoint, needs_replace
from servingops.errors import ConfigError, ToolError
from servingops.escape import for_text
from servingops.model.endpoint import EndpointSpec
from servingops.model.pulumi_inputs import from_inputs, integral, previous_spec
from servingops.model.state import EndpointState, desired_state
from servingops.outputs import smoke_is_stale

if TYPE_CHECKING:
    import httpx

    from servingops.reconcile import Reconciler

T = TypeVar("T")


class EndpointProvider(ResourceProvider):
    """Reconciles one serving endpoint per resource: check, diff, create, read, update, delete."""

    def __init__(
        self,
        deadline_seconds: float | None = None,
        adopt: bool = False,
        *,
        allow_workspace_change: bool = False,
        http: httpx.Client | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.deadline_seconds = deadline_seconds
        self.adopt = adopt
        self.allow_workspace_change = allow_workspace_change
        self.http = http
        """An HTTP client to use instead of a new one per call (tests); never pickled."""
        self.settings: dict[str, str] = dict(settings or {})
        """Control-plane settings from ``configure`` (host, token …); never pickled."""

    def __getstate__(self) -> dict[str, Any]:
        """Only plain settings go into Pulumi state: no client, no credentials."""
        return {
            "deadline_seconds": self.deadline_seconds,
            "adopt": self.adopt,
            "allow_workspace_change": self.allow_workspace_change,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state.get("deadline_seconds"),
            state.get("adopt", False),
            allow_workspace_change=state.get("allow_workspace_change", False),
        )

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the stack's control-plane settings on this (per-process) instance, and
        apply ``servingops:providerWorkers`` to the provider server (``providers.server``)."""
        self.settings.update(settings_from(req))
        apply_workers(req.config.get("providerWorkers"))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Schema and semantic checks of the spec (the program already ran them with lines);
        for a new resource whose name is taken live, the ownership rules (so ``preview``
        refuses a silent takeover, and marks a consented one ``operation: adopt``)."""
        if _has_unknowns(news.get("spec")):
            return CheckResult(news, [])
        source = news.get("source") or "<inputs>"
        failures = _check_spec(integral(news.get("spec") or {}), source)
        if failures or olds:  # olds: the resource is in the stack already (it is ours)
            return CheckResult(news, failures)
        return self._check_takeover(news)

    def _check_takeover(self, news: dict[str, Any]) -> CheckResult:
        from servingops.ownership import NotOurs

        spec = _spec(news)
        if spec.is_reference:
            return CheckResult(news, [])
        try:
            why = self._run(lambda r: r.takeover_reason(spec))
        except NotOurs as err:
            failure = CheckFailure("source", f"{err.message}\n  hint: {err.hint}")
            return CheckResult(news, [failure])  # "source": Pulumi prints the file, not the spec
        except ToolError:
            return CheckResult(news, [])  # unreachable now: create decides (and says why)
        return CheckResult({**news, "operation": "adopt"} if why else news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare the live state recorded in outputs with the declared spec; an endpoint
        whose last smoke check did not pass against that state is a change too."""
        if _has_unknowns(news.get("spec")) or _has_unknowns(news.get("secret_values")):
            return DiffResult(changes=True)
        spec = _spec(news)
        changes = diff_endpoint(_state(olds) or _empty_state(), desired_state(spec))
        replaces = ["spec"] if needs_replace(changes) else []
        managed = spec.ai_gateway is not None
        stale = (
            spec.smoke.enabled
            and not spec.switched_off  # nothing to query: a stale check is no change
            and not spec.is_reference
            and smoke_is_stale(integral(olds), managed)
        )
        owner = news.get("owner")
        untagged = not spec.is_reference and bool(owner) and olds.get("owner_tag", owner) != owner
        return DiffResult(
            changes=bool(changes) or stale or untagged,
            replaces=replaces,
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create or adopt the endpoint, wait for it, smoke-check it."""
        spec = _spec(props)
        outs = self._run(lambda r: r.create(spec))
        return CreateResult(spec.name, _outputs(outs, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: every output from the live endpoint (the smoke record is kept, so a
        changed live state makes it stale); an endpoint deleted by hand reads as gone."""
        outs = self._run(lambda r: r.read(id_, _state(props)), props.get("workspace_id"))
        if outs is None:
            return ReadResult("", {})
        return ReadResult(id_, {**props, **outs})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the changed groups in order, wait, smoke-check (rollback on request)."""
        spec = _spec(news)
        record = _state(olds)
        previous = None
        if olds.get("spec"):
            old_spec = integral(olds["spec"])
            secrets = news.get("secret_values")
            previous = previous_spec(old_spec, record, secrets, olds.get("source", ""))
        outs = self._run(lambda r: r.update(spec, previous, record), olds.get("workspace_id"))
        return UpdateResult(_outputs(outs, news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Delete the endpoint (pay-per-token references are left alone)."""
        spec = EndpointSpec.from_mapping(integral(props["spec"]), props.get("source", ""))
        owned = replace(spec, owner=props.get("owner") or None)
        self._run(lambda r: r.delete(owned), props.get("workspace_id"))

    def _run(self, action: Callable[[Reconciler], T], workspace: Any = None) -> T:
        """Run ``action`` with a reconciler; ``workspace`` is the one recorded in outputs
        (acting in another is refused unless the stack allows moving)."""
        from servingops.reconcile import Reconciler

        with open_client(self.settings, self.http) as client:
            rec = Reconciler(
                client, client.host, deadline_s=self.deadline_seconds, adopt=self.adopt
            )
            if not self.allow_workspace_change and isinstance(workspace, str):
                rec.workspace = workspace
            return action(rec)


class ServingEndpoint(Resource, module="serving", name="ServingEndpoint"):
    """One serving endpoint declared by an ``endpoints/<name>.yaml`` file."""

    name: pulumi.Output[str]
    endpoint_id: pulumi.Output[str]
    invocation_url: pulumi.Output[str]
    config_version: pulumi.Output[int]
    ready: pulumi.Output[str]
    state: pulumi.Output[dict[str, Any]]
    smoke: pulumi.Output[dict[str, str]]
    workspace_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        spec: dict[str, Any],
        secret_values: dict[str, str],
        source: str,
        provider: EndpointProvider | None = None,
        opts: pulumi.ResourceOptions | None = None,
        owner: str | None = None,
    ) -> None:
        props = {
            "spec": spec,
            "secret_values": pulumi.Output.secret(secret_values),
            "source": source,
            "owner": owner or f"{pulumi.get_project()}/{pulumi.get_stack()}",
            **dict.fromkeys(
                (
                    "name",
                    "endpoint_id",
                    "invocation_url",
                    "config_version",
                    "ready",
                    "state",
                    "smoke",
                    "workspace_id",
                    "owner_tag",
                )
            ),
        }
        super().__init__(provider or EndpointProvider(), resource_name, props, opts)


def apply_workers(raw: Any) -> None:
    """Set the provider server's worker count from ``servingops:providerWorkers``.

    Raises ``ConfigError`` for a value that is not a whole number from 1 to
    ``providers.server.MAX_WORKERS``. Unset, or outside our server: nothing happens."""
    try:
        workers = parse_workers(raw, "servingops:providerWorkers")
    except ValueError as err:
        hint = "pulumi config set servingops:providerWorkers 64"
        raise ConfigError(str(err), hint=hint) from None
    if workers is not None:
        set_workers(workers)


def _check_spec(spec: Any, source: str) -> list[CheckFailure]:
    """Schema and rule errors of an input spec; a spec found clean before (same content,
    same code and schema: ``providers.validated``) is not checked again."""
    key = validated.spec_key(spec, source, allow_plaintext=True)
    if validated.is_clean(key):
        return []
    from servingops.loader import check_document

    found = check_document(spec, source, allow_plaintext=True)
    if not found:
        validated.mark_clean(key)
    return [CheckFailure("source", for_text(f"{d.json_path}: {d.message}")) for d in found]


def _spec(props: dict[str, Any]) -> EndpointSpec:
    spec = from_inputs(props["spec"], props.get("secret_values"), props.get("source", ""))
    return replace(spec, owner=props.get("owner") or None)


def _state(props: dict[str, Any]) -> EndpointState | None:
    """The ``state`` output recorded at the last write (None before the first)."""
    raw = props.get("state")
    return EndpointState.from_json(integral(raw)) if isinstance(raw, dict) else None


def _empty_state() -> EndpointState:
    return EndpointState.from_json({})


def _outputs(outs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """Outputs keep the inputs delete needs later (spec, source, owner)."""
    kept = {k: props.get(k) for k in ("spec", "source", "owner")}
    return {**outs, **kept}


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
