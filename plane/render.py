"""Output shapes of the API: ``ServingEndpointDetailed``, list summaries, served entities.

Rendering applies the round-trip quirks of control-plane-api.md §6: write-only fields
(``*_plaintext``, ``burst_scaling_enabled``) are dropped, server defaults are echoed
(entity name, ``workload_type: CPU``, 100% traffic, ``description: ""``,
``route_optimized: false``), routes carry both entity-name fields, tags are sorted.
"""

from __future__ import annotations

import random
from typing import Any

from plane import lifecycle
from plane.lifecycle import ms

WRITE_ONLY = ("burst_scaling_enabled",)
SUMMARY_FIELDS = ("name", "entity_name", "entity_version", "external_model", "foundation_model")


def strip_secrets(value: Any) -> Any:
    """A deep copy of ``value`` without any ``*_plaintext`` key."""
    if isinstance(value, dict):
        return {k: strip_secrets(v) for k, v in value.items() if not k.endswith("_plaintext")}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


def render_endpoint(doc: dict[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
    """The ``ServingEndpointDetailed`` of a (settled) document; ``rng`` shuffles entities."""
    out = _header(doc)
    out["state"] = {"ready": lifecycle.ready(doc), "config_update": lifecycle.config_update(doc)}
    pending = doc.get("pending")
    if doc.get("config"):
        out["config"] = render_config(doc["config"], _ready_state(), rng)
    elif pending and pending.get("failed"):
        out["config"] = render_config(pending["config"], _failed_state(pending), rng)
    if pending:
        state = _failed_state(pending) if pending.get("failed") else _creating_state()
        out["pending_config"] = render_config(pending["config"], state, rng)
        out["pending_config"]["start_time"] = ms(pending["start"])
    for key in ("ai_gateway", "email_notifications", "telemetry_config"):
        if doc.get(key):
            out[key] = strip_secrets(doc[key])
    return out


def add_query_urls(out: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Route-optimized endpoints carry their query URL (``endpoint_url``, ``data_plane_info``)."""
    if out.get("route_optimized"):
        url = f"{base_url.rstrip('/')}/serving-endpoints/{out['name']}/invocations"
        out["endpoint_url"] = url
        out["data_plane_info"] = {"query_info": {"endpoint_url": url}}
    return out


def render_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The list item (``ServingEndpoint``): summary config with a few fields per entity."""
    out = _header(doc)
    out.pop("route_optimized", None)
    out["state"] = {"ready": lifecycle.ready(doc), "config_update": lifecycle.config_update(doc)}
    config = doc.get("config") or (doc.get("pending") or {}).get("config")
    if config:
        entities = [
            {k: strip_secrets(e[k]) for k in SUMMARY_FIELDS if k in e}
            for e in sorted(config["served_entities"], key=lambda e: str(e["name"]))
        ]
        out["config"] = {"served_entities": entities}
    if doc.get("ai_gateway"):
        out["ai_gateway"] = doc["ai_gateway"]
    return out


def _header(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: doc[k] for k in ("name", "id", "creator", "creation_timestamp", "last_updated_timestamp")
    }
    out["description"] = doc.get("description") or ""
    out["route_optimized"] = bool(doc.get("route_optimized"))
    out["permission_level"] = "CAN_QUERY" if doc.get("kind") == "system" else "CAN_MANAGE"
    if doc.get("task"):
        out["task"] = doc["task"]
    if doc.get("kind") == "system":
        out["endpoint_type"] = "FOUNDATION_MODEL_API"
    if doc.get("tags"):
        out["tags"] = render_tags(doc["tags"])
    return out


def render_tags(tags: dict[str, str | None]) -> list[dict[str, str]]:
    """Tags as ``[{key, value}]`` sorted by key (``value`` omitted when unset)."""
    return [
        {"key": k, "value": v} if v is not None else {"key": k} for k, v in sorted(tags.items())
    ]


def render_config(
    config: dict[str, Any], state: dict[str, str], rng: random.Random | None
) -> dict[str, Any]:
    """A stored config in output shape, every entity carrying ``state``."""
    meta = config.get("entity_meta", {})
    entities = [render_entity(e, meta.get(e["name"], {}), state) for e in config["served_entities"]]
    entities.sort(key=lambda e: str(e["name"]))
    if rng is not None:
        rng.shuffle(entities)
    out: dict[str, Any] = {"config_version": config.get("config_version", 1)}
    out["served_entities"] = entities
    if config.get("legacy_models"):
        out["served_models"] = [_as_served_model(e) for e in entities]
    if config.get("traffic_config"):
        out["traffic_config"] = {"routes": [_route(r) for r in config["traffic_config"]["routes"]]}
    if config.get("auto_capture_config"):
        out["auto_capture_config"] = _auto_capture(config["auto_capture_config"])
    return out


def render_entity(
    entity: dict[str, Any], meta: dict[str, Any], state: dict[str, str]
) -> dict[str, Any]:
    """One ``ServedEntityOutput``: input fields minus write-only ones, plus server fields."""
    out = {k: strip_secrets(v) for k, v in entity.items() if k not in WRITE_ONLY}
    if "entity_name" in out:
        out.setdefault("workload_type", "CPU")
        _default_workload_size(out)
    out.update(meta)
    out["state"] = dict(state)
    return out


def _default_workload_size(out: dict[str, Any]) -> None:
    sized = any(
        k in out
        for k in (
            "min_provisioned_concurrency",
            "max_provisioned_concurrency",
            "min_provisioned_throughput",
            "max_provisioned_throughput",
            "provisioned_model_units",
        )
    )
    if not sized:
        out.setdefault("workload_size", "Small")


def _as_served_model(entity: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entity.items() if k not in ("entity_name", "entity_version")}
    out["model_name"] = entity.get("entity_name")
    out["model_version"] = entity.get("entity_version")
    return out


def _route(route: dict[str, Any]) -> dict[str, Any]:
    name = route["served_entity_name"]
    pct = route["traffic_percentage"]
    return {"served_model_name": name, "served_entity_name": name, "traffic_percentage": pct}


def _auto_capture(auto: dict[str, Any]) -> dict[str, Any]:
    out = dict(auto)
    if auto.get("enabled"):
        prefix = auto.get("table_name_prefix") or "endpoint"
        table = f"{auto.get('catalog_name')}.{auto.get('schema_name')}.{prefix}_payload"
        out["state"] = {"payload_table": {"name": table, "status": "ACTIVE"}}
    return out


def _ready_state() -> dict[str, str]:
    return {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""}


def _creating_state() -> dict[str, str]:
    return {
        "deployment": "DEPLOYMENT_CREATING",
        "deployment_state_message": "Creating resources for served entity.",
    }


def _failed_state(pending: dict[str, Any]) -> dict[str, str]:
    return {"deployment": "DEPLOYMENT_FAILED", "deployment_state_message": str(pending["fail"])}
