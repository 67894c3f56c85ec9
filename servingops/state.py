"""The canonical form of an endpoint, built from a spec (desired) or a GET answer (live).

Both sides are reduced to the same plain-JSON shape so that one function
(``servingops.diff.diff_endpoint``) can compare them::

    {"name", "kind": "external"|"provisioned"|"pt"|"pay-per-token"|"empty",
     "entities": {name: {...entity fields...}}, "traffic": {name: pct} | None,
     "ai_gateway": {...} | None, "tags": {k: v} | None, "description", "route_optimized",
     "email_notifications", "write_only": {"<entity>.<dotted.path>": "sha256:…"}}

Write-only fields (``*_plaintext``, ``burst_scaling_enabled``) never come back from
GET: desired state keeps a SHA-256 of each value (never the value), and live state
carries the previous hashes forward, so a changed key is an update and an unchanged
one is no drift (terraform-provider-databricks#5074).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from servingops.spec import EndpointSpec

WRITE_ONLY_SUFFIX = "_plaintext"
WRITE_ONLY_KEYS = {"burst_scaling_enabled"}
SERVER_ENTITY_KEYS = {"creator", "creation_timestamp", "state", "foundation_model", "task"}


def fingerprint(value: Any) -> str:
    """A one-way fingerprint of a write-only value (never reversible, never the value)."""
    return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()


def desired_state(spec: EndpointSpec) -> dict[str, Any]:
    """Canonical desired state of a spec; write-only values replaced by fingerprints."""
    write_only: dict[str, str] = {}
    entities = {}
    for entity in spec.served_entities:
        clean = _strip_write_only(entity, str(entity["name"]), write_only)
        entities[str(entity["name"])] = clean
    return {
        "name": spec.name,
        "kind": spec_kind(spec),
        "entities": entities if spec.tier != "pay-per-token" else None,
        "traffic": dict(spec.traffic) if spec.traffic is not None else None,
        "ai_gateway": prune(spec.ai_gateway) if spec.ai_gateway is not None else None,
        "tags": dict(spec.tags) if spec.tags is not None else None,
        "description": spec.description if _description_managed(spec) else None,
        "route_optimized": spec.route_optimized,
        "email_notifications": spec.email_notifications,
        "write_only": write_only,
    }


def _description_managed(spec: EndpointSpec) -> bool:
    """References and ``/pt`` endpoints cannot set a description: it is not ours to manage."""
    return spec.tier != "pay-per-token" and not spec.uses_pt_route


def spec_kind(spec: EndpointSpec) -> str:
    """Which family of endpoint a spec declares (a change of family forces replacement)."""
    if spec.tier == "pay-per-token":
        return "pay-per-token"
    if spec.tier == "provisioned":
        return "pt" if spec.uses_pt_route else "provisioned"
    return "external"


def live_state(detail: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Canonical live state of a GET ``ServingEndpointDetailed`` answer."""
    config = detail.get("config") or {}
    entities = {str(e.get("name")): _live_entity(e) for e in config.get("served_entities") or []}
    return {
        "name": detail.get("name"),
        "kind": _live_kind(config.get("served_entities") or [], previous),
        "entities": entities,
        "traffic": _live_traffic(config.get("traffic_config")),
        "ai_gateway": prune(detail.get("ai_gateway")),
        "tags": {t["key"]: t.get("value", "") for t in detail.get("tags") or []},
        "description": detail.get("description") or None,
        "route_optimized": bool(detail.get("route_optimized")),
        "email_notifications": prune(detail.get("email_notifications")),
        "write_only": _carried_write_only(previous),
    }


def prune(value: Any) -> Any:
    """Drop None, empty mappings and empty lists recursively (server "nothing set")."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        out = {k: v for k, v in out.items() if v is not None and v != {} and v != []}
        return out or None
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v is not None] or None
    return value


def _strip_write_only(obj: Any, prefix: str, sink: dict[str, str]) -> Any:
    if isinstance(obj, list):
        return [_strip_write_only(v, f"{prefix}[{i}]", sink) for i, v in enumerate(obj)]
    if not isinstance(obj, dict):
        return copy.deepcopy(obj)
    out = {}
    for key, value in obj.items():
        if key.endswith(WRITE_ONLY_SUFFIX) or key in WRITE_ONLY_KEYS:
            sink[f"{prefix}.{key}"] = fingerprint(value)
        else:
            out[key] = _strip_write_only(value, f"{prefix}.{key}", sink)
    return out


def _live_entity(entity: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entity.items() if k not in SERVER_ENTITY_KEYS}
    ext = out.get("external_model")
    if isinstance(ext, dict):
        out["external_model"] = {k: v for k, v in ext.items() if k != "task"}
    cleaned: dict[str, Any] = _drop_write_only(out)
    return cleaned


def _drop_write_only(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: _drop_write_only(v)
            for k, v in obj.items()
            if not (k.endswith(WRITE_ONLY_SUFFIX) or k in WRITE_ONLY_KEYS)
        }
    return obj


def _carried_write_only(previous: dict[str, Any] | None) -> dict[str, str] | None:
    """Fingerprints recorded at the last write; None when there is no record to compare."""
    if previous is None or previous.get("write_only") is None:
        return None
    return dict(previous["write_only"])


def _live_traffic(traffic: dict[str, Any] | None) -> dict[str, int] | None:
    routes = (traffic or {}).get("routes") or []
    if not routes:
        return None
    out = {}
    for route in routes:
        name = route.get("served_entity_name") or route.get("served_model_name")
        out[str(name)] = int(route.get("traffic_percentage", 0))
    return out


def _live_kind(entities: list[dict[str, Any]], previous: dict[str, Any] | None) -> str:
    if not entities:
        return str((previous or {}).get("kind") or "empty")
    if any("external_model" in e for e in entities):
        return "external"
    if any("provisioned_model_units" in e for e in entities):
        return "pt"
    prev = (previous or {}).get("kind")
    return "pay-per-token" if prev == "pay-per-token" else "provisioned"
