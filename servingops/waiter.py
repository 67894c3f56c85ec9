"""Wait for a serving endpoint's config update to settle, with backoff and a deadline.

Mirrors the Databricks SDK's ``wait_get_serving_endpoint_not_updating``: poll
``get_endpoint`` until ``state.config_update`` is ``NOT_UPDATING``; fail at once on
``UPDATE_FAILED``/``UPDATE_CANCELED``; sleep 1, 2, … 10 s between polls plus up to 1 s of
jitter. Like the SDK it does not wait for ``state.ready`` (a settled endpoint can still
be ``NOT_READY``; the smoke check finds out). Unlike the SDK, failures name every served
entity with its deployment state message, and the last poll happens at the deadline.

Server messages can quote what was sent (an ``UPDATE_FAILED`` entity's
``deployment_state_message`` may echo the plaintext API key): every text here is
redacted with the ``secrets`` of the request that started the update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from random import Random
from typing import Any, Protocol

from servingops.clock import Clock
from servingops.errors import ToolError, UpdateFailed, UsageError, WaitTimeout
from servingops.redact import redact_text

__all__ = [
    "DEFAULT_DEADLINES",
    "default_deadline",
    "describe_state",
    "entity_states",
    "wait_until_settled",
]

SETTLED = "NOT_UPDATING"
FAILED = ("UPDATE_FAILED", "UPDATE_CANCELED")

DEFAULT_DEADLINES: Mapping[str, float] = {
    "external": 10 * 60.0,
    "provisioned": 45 * 60.0,
    "pay-per-token": 0.0,
}
"""Seconds to wait per tier: external models settle in seconds, provisioned throughput in
minutes (Terraform waits 45 min); pay-per-token endpoints are never updated by us."""


class EndpointReader(Protocol):
    """Anything with ``get_endpoint`` (the ``ControlPlaneClient``, or a fake in tests)."""

    def get_endpoint(self, name: str) -> dict[str, Any]: ...


class _Random(Protocol):
    def random(self) -> float: ...


def default_deadline(tier: str, overrides: Mapping[str, float] | None = None) -> float:
    """Seconds to wait for an endpoint of ``tier`` to settle; ``overrides`` win per tier."""
    deadlines = {**DEFAULT_DEADLINES, **(overrides or {})}
    if tier not in deadlines:
        known = ", ".join(sorted(deadlines))
        raise UsageError(f"unknown tier {tier!r} for the wait deadline (known: {known})")
    return float(deadlines[tier])


def wait_until_settled(
    client: EndpointReader,
    name: str,
    *,
    deadline_s: float,
    clock: Clock,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    rng: _Random | None = None,
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Poll until the endpoint's ``config_update`` is ``NOT_UPDATING``; return that GET body.

    ``on_progress`` sees every unsettled poll. Raises ``UpdateFailed`` on a failed or
    cancelled update, ``WaitTimeout`` when still updating at ``deadline_s`` seconds, and
    whatever ``get_endpoint`` raises (``NotFound`` if the endpoint vanished). Every
    message is redacted with ``secrets`` (the plaintext values the update sent).
    """
    jitter = rng or Random()
    started = clock.now()
    attempt = 1
    while True:
        endpoint = _poll(client, name, secrets)
        state = _config_update(endpoint)
        if state == SETTLED:
            return endpoint
        if on_progress is not None:
            on_progress(endpoint)
        elapsed = clock.now() - started
        if state in FAILED:
            raise _update_failed(name, endpoint, state, elapsed, secrets)
        remaining = deadline_s - elapsed
        if remaining <= 0:
            raise _timeout(name, endpoint, elapsed, deadline_s, secrets)
        clock.sleep(min(min(10, attempt) + jitter.random(), remaining))
        attempt += 1


def _poll(client: EndpointReader, name: str, secrets: tuple[str, ...]) -> dict[str, Any]:
    """``get_endpoint``; a ``ToolError`` it raises is redacted with ``secrets`` in place."""
    try:
        return client.get_endpoint(name)
    except ToolError as err:
        err.message = redact_text(err.message, secrets)
        err.hint = redact_text(err.hint, secrets)
        err.args = (err.message, *err.args[1:])
        raise


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _config_update(endpoint: Mapping[str, Any]) -> str:
    return str(_mapping(endpoint.get("state")).get("config_update") or "")


def describe_state(endpoint: Mapping[str, Any], secrets: tuple[str, ...] = ()) -> str:
    """One line: ``config_update=… ready=… config_version=…`` of a GET body, redacted
    with ``secrets``."""
    state = _mapping(endpoint.get("state"))
    parts = [
        f"config_update={state.get('config_update') or 'unknown'}",
        f"ready={state.get('ready') or 'unknown'}",
    ]
    for key in ("config", "pending_config"):
        block = endpoint.get(key)
        if isinstance(block, Mapping) and block.get("config_version") is not None:
            parts.append(f"{key}.config_version={block['config_version']}")
    return redact_text(", ".join(parts), secrets)


def entity_states(endpoint: Mapping[str, Any], secrets: tuple[str, ...] = ()) -> list[str]:
    """One line per served entity and its deployment state (pending config, else config),
    redacted with ``secrets``."""
    for key in ("pending_config", "config"):
        block = endpoint.get(key)
        entities = block.get("served_entities") if isinstance(block, Mapping) else None
        if entities:
            lines = [_entity_line(entity) for entity in entities if isinstance(entity, Mapping)]
            return [redact_text(line, secrets) for line in lines]
    return []


def _entity_line(entity: Mapping[str, Any]) -> str:
    state = _mapping(entity.get("state"))
    deployment = state.get("deployment") or "no deployment state"
    message = state.get("deployment_state_message") or "no message"
    return f"served entity '{entity.get('name', '?')}' ({deployment}): {message}"


def _details(endpoint: Mapping[str, Any], secrets: tuple[str, ...]) -> str:
    return "".join(f"\n  {line}" for line in entity_states(endpoint, secrets))


def _update_failed(
    name: str, endpoint: Mapping[str, Any], state: str, elapsed: float, secrets: tuple[str, ...]
) -> UpdateFailed:
    verb = "was cancelled" if state == "UPDATE_CANCELED" else "failed"
    hint = (
        "someone or something cancelled the update: check the endpoint's event log, then "
        "run `pulumi up` again"
        if state == "UPDATE_CANCELED"
        else "fix the served entity named above (model name, version, sizing, credentials), "
        "then run `pulumi up` again; `servingops drift` shows the live config"
    )
    return UpdateFailed(
        f"endpoint '{name}': config update {verb} ({state}) after {elapsed:.0f} s; "
        f"{describe_state(endpoint, secrets)}{_details(endpoint, secrets)}",
        hint=hint,
    )


def _timeout(
    name: str,
    endpoint: Mapping[str, Any],
    elapsed: float,
    deadline: float,
    secrets: tuple[str, ...],
) -> WaitTimeout:
    return WaitTimeout(
        f"endpoint '{name}' did not settle within {deadline:.0f} s (waited {elapsed:.0f} s); "
        f"last state: {describe_state(endpoint, secrets)}{_details(endpoint, secrets)}",
        hint="the update may still finish: check again with `servingops drift`; provisioned "
        "endpoints can take 30+ minutes, so raise the wait deadline for this tier if needed",
    )
