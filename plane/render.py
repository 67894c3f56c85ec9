"""Output shapes of the API: ``ServingEndpointDetailed``, list summaries, served entities.

Rendering applies the round-trip quirks of control-plane-api.md §6: write-only fields
(``*_plaintext``, ``burst_scaling_enabled``) are dropped, server defaults are echoed
(entity name, ``workload_type: CPU``, 100% traffic, ``description: ""``,
``route_optimized: false``), routes carry both entity-name fields, tags are sorted.
It reads an ``EndpointResource`` (``plane.resource``), whose methods call it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from plane.dataplane import authorization_details
from plane.settings import ms

if TYPE_CHECKING:  # plane.resource imports this module to render itself
    from plane.resource import (
        EndpointResource,
        EntityMeta,
        PendingUpdate,
        StoredConfig,
        TrafficRoute,
    )

WRITE_ONLY = ("burst_scaling_enabled",)
SUMMARY_FIELDS = ("name", "entity_name", "entity_version", "external_model", "foundation_model")
SIZING_FIELDS = (
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
)


def strip_secrets(value: Any) -> Any:
    """A deep copy of ``value`` without any ``*_plaintext`` key."""
    if isinstance(value, dict):
        return {k: strip_secrets(v) for k, v in value.items() if not k.endswith("_plaintext")}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


def render_endpoint(endpoint: EndpointResource, rng: random.Random | None) -> dict[str, Any]:
    """The ``ServingEndpointDetailed`` of a (settled) endpoint; ``rng`` shuffles entities."""
    out = _header(endpoint)
    pending = endpoint.pending
    if endpoint.config is not None:
        out["config"] = render_config(endpoint.config, _ready_state(), rng, endpoint.name)
    elif pending is not None and pending.failed:
        out["config"] = render_config(pending.config, _failed_state(pending), rng, endpoint.name)
    if pending is not None:
        out["pending_config"] = _pending_config(pending, rng, endpoint.name)
    sections = {
        "ai_gateway": endpoint.ai_gateway,
        "email_notifications": endpoint.email_notifications,
        "telemetry_config": endpoint.telemetry_config,
    }
    out.update({key: strip_secrets(value) for key, value in sections.items() if value})
    return out


def add_query_urls(out: dict[str, Any], base_url: str, workspace_id: str) -> dict[str, Any]:
    """Route-optimized endpoints carry their query URL (``endpoint_url``, ``data_plane_info``).

    The URL is ``<base>/<workspace id>/serving-endpoints/<name>/invocations`` (the real one
    is ``https://<id>.serving.<cloud>/<workspace id>/serving-endpoints/<name>/invocations``)
    and ``query_info.authorization_details`` is what the SDK's token exchange sends.
    """
    if out.get("route_optimized"):
        url = f"{base_url.rstrip('/')}/{workspace_id}/serving-endpoints/{out['name']}/invocations"
        out["endpoint_url"] = url
        info = {"endpoint_url": url, "authorization_details": authorization_details(out["id"])}
        out["data_plane_info"] = {"query_info": info}
    return out


def render_summary(endpoint: EndpointResource) -> dict[str, Any]:
    """The list item (``ServingEndpoint``): summary config with a few fields per entity."""
    out = _header(endpoint)
    del out["route_optimized"]
    config = endpoint.latest_config()
    if config is not None:
        entities = sorted(config.served_entities, key=lambda e: str(e["name"]))
        summary = [{k: strip_secrets(e[k]) for k in SUMMARY_FIELDS if k in e} for e in entities]
        out["config"] = {"served_entities": summary}
    if endpoint.ai_gateway:
        out["ai_gateway"] = endpoint.ai_gateway
    return out


def _header(endpoint: EndpointResource) -> dict[str, Any]:
    system = endpoint.is_system()
    out: dict[str, Any] = {
        "name": endpoint.name,
        "id": endpoint.id,
        "creator": endpoint.creator,
        "creation_timestamp": endpoint.creation_timestamp,
        "last_updated_timestamp": endpoint.last_updated_timestamp,
        "description": endpoint.description,
        "route_optimized": endpoint.route_optimized,
        "permission_level": "CAN_QUERY" if system else "CAN_MANAGE",
    }
    if endpoint.task:
        out["task"] = endpoint.task
    endpoint_type = _endpoint_type(endpoint)
    if endpoint_type:
        out["endpoint_type"] = endpoint_type
    if endpoint.tags:
        out["tags"] = render_tags(endpoint.tags)
    out["state"] = endpoint.state()
    return out


def _endpoint_type(endpoint: EndpointResource) -> str | None:
    """``endpoint_type``: what the endpoint serves (None while it has no entities).

    ``EXTERNAL_MODEL`` for external models (MLflow deployments client docstrings of
    ``create_endpoint`` / ``update_endpoint_config``), ``FOUNDATION_MODEL_API`` for
    pay-per-token and ``system.ai`` (foundation) models, ``CUSTOM_MODEL`` for a UC model.
    """
    if endpoint.is_system():
        return "FOUNDATION_MODEL_API"
    config = endpoint.latest_config()
    entities = [] if config is None else config.served_entities
    if not entities:
        return None
    if any("external_model" in e for e in entities):
        return "EXTERNAL_MODEL"
    names = [str(e.get("entity_name") or "") for e in entities if "entity_name" in e]
    if names and all(not n.startswith("system.ai.") for n in names):
        return "CUSTOM_MODEL"
    return "FOUNDATION_MODEL_API"


def render_tags(tags: dict[str, str | None]) -> list[dict[str, str]]:
    """Tags as ``[{key, value}]`` sorted by key (``value`` omitted when unset)."""
    return [
        {"key": k, "value": v} if v is not None else {"key": k} for k, v in sorted(tags.items())
    ]


def render_config(
    config: StoredConfig,
    state: dict[str, str],
    rng: random.Random | None,
    endpoint_name: str = "",
) -> dict[str, Any]:
    """A stored config in output shape, every entity carrying ``state``."""
    entities = [
        render_entity(e, config.entity_meta.get(str(e["name"])), state)
        for e in config.served_entities
    ]
    entities.sort(key=lambda e: str(e["name"]))
    if rng is not None:
        rng.shuffle(entities)
    out: dict[str, Any] = {"config_version": config.config_version}
    out["served_entities"] = entities
    if config.legacy_models:
        out["served_models"] = [_as_served_model(e) for e in entities]
    if config.traffic_config is not None:
        out["traffic_config"] = {"routes": [_route(r) for r in config.traffic_config.routes]}
    if config.auto_capture_config:
        out["auto_capture_config"] = _auto_capture(config.auto_capture_config, endpoint_name)
    return out


def render_entity(
    entity: dict[str, Any], meta: EntityMeta | None, state: dict[str, str]
) -> dict[str, Any]:
    """One ``ServedEntityOutput``: input fields minus write-only ones, plus server fields."""
    out = {k: strip_secrets(v) for k, v in entity.items() if k not in WRITE_ONLY}
    if "entity_name" in out:
        out.setdefault("workload_type", "CPU")
        if not any(k in out for k in SIZING_FIELDS):
            out.setdefault("workload_size", "Small")
    if meta is not None:
        out["creator"] = meta.creator
        out["creation_timestamp"] = meta.creation_timestamp
    out["state"] = dict(state)
    return out


def _pending_config(
    pending: PendingUpdate, rng: random.Random | None, endpoint_name: str
) -> dict[str, Any]:
    state = _failed_state(pending) if pending.failed else _creating_state()
    out = render_config(pending.config, state, rng, endpoint_name)
    out["start_time"] = ms(pending.start)
    return out


def _as_served_model(entity: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entity.items() if k not in ("entity_name", "entity_version")}
    out["model_name"] = entity.get("entity_name")
    out["model_version"] = entity.get("entity_version")
    return out


def _route(route: TrafficRoute) -> dict[str, Any]:
    name, pct = route.served_entity_name, route.traffic_percentage
    return {"served_model_name": name, "served_entity_name": name, "traffic_percentage": pct}


def _auto_capture(auto: dict[str, Any], endpoint_name: str) -> dict[str, Any]:
    """A legacy ``auto_capture_config`` (kept from older files); the prefix defaults to the
    endpoint's name (legacy inference-table docs: ``<catalog>.<schema>.<prefix>_payload``)."""
    out = dict(auto)
    if auto.get("enabled"):
        prefix = auto.get("table_name_prefix") or endpoint_name
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


def _failed_state(pending: PendingUpdate) -> dict[str, str]:
    return {"deployment": "DEPLOYMENT_FAILED", "deployment_state_message": str(pending.fail)}
