"""What a reconciled endpoint reports: the Pulumi outputs, and whether its smoke is current.

Outputs are recomputed from a GET on every create, update and refresh, so a refresh
after a host change reports that host's ids and URLs. ``smoke`` records when the last
smoke check passed and a fingerprint of what decides how the endpoint answers (config
version, served entities, traffic, and the AI gateway when the file manages it); when the
live endpoint no longer matches (a failed, timed-out or killed update, a hand edit of
the config) the smoke check is *stale* and the next ``up`` queries it again. Unmanaged
keys and tags never make it stale, so they never show as changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from servingops.model import rest
from servingops.model.state import EndpointState

__all__ = ["endpoint_outputs", "smoke_is_stale", "smoke_record", "state_fingerprint", "utc_now"]


def utc_now() -> str:
    """The wall-clock time as ISO 8601 UTC (``2026-11-30T12:00:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def endpoint_outputs(
    host: str,
    name: str,
    detail: Mapping[str, Any],
    previous: EndpointState | None,
    acl: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``name``, ``endpoint_id``, ``invocation_url``, ``config_version``, ``ready``, ``state``
    and ``owner_tag`` (the ownership tag as read: a missing one is put back by ``up``).
    ``acl``: the Permissions API answer when the file manages permissions.
    ``invocation_url`` is a route-optimized endpoint's own ``endpoint_url`` (its workspace
    URL refuses queries), else ``<host>/serving-endpoints/<name>/invocations``."""
    config = detail.get("config") or {}
    state = rest.live_state(detail, previous=previous, acl=acl).to_json()
    return {
        "name": name,
        "endpoint_id": str(detail.get("id") or ""),
        "invocation_url": _invocation_url(host, name, detail),
        "config_version": int(config.get("config_version") or 0),
        "ready": str((detail.get("state") or {}).get("ready") or ""),
        "state": state,
        "owner_tag": rest.owner_of(detail) or "",  # "" (not None: Pulumi drops nulls)
    }


def state_fingerprint(state: Mapping[str, Any]) -> str:
    """A stable fingerprint of a ``state`` output (key order ignored)."""
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _invocation_url(host: str, name: str, detail: Mapping[str, Any]) -> str:
    own = detail.get("endpoint_url")
    if detail.get("route_optimized") and isinstance(own, str) and own:
        return own
    return f"{host.rstrip('/')}/serving-endpoints/{name}/invocations"


def smoke_basis(outputs: Mapping[str, Any], gateway_managed: bool) -> str:
    """The fingerprint of what a smoke check vouches for, from an endpoint's outputs."""
    state = outputs.get("state") or {}
    basis = {
        "config_version": outputs.get("config_version"),
        "kind": state.get("kind"),
        "entities": state.get("entities"),
        "traffic": state.get("traffic"),
        "ai_gateway": state.get("ai_gateway") if gateway_managed else None,
    }
    return state_fingerprint(basis)


def smoke_record(
    outputs: Mapping[str, Any], passed_at: str, gateway_managed: bool
) -> dict[str, str]:
    """The ``smoke`` output after a passed check: when, and against what."""
    return {"passed_at": passed_at, "state": smoke_basis(outputs, gateway_managed)}


def smoke_is_stale(outputs: Mapping[str, Any], gateway_managed: bool) -> bool:
    """True when the live endpoint is not the one the last passed smoke check saw."""
    record = outputs.get("smoke")
    if not isinstance(record, Mapping) or not isinstance(outputs.get("state"), Mapping):
        return True
    return record.get("state") != smoke_basis(outputs, gateway_managed)
