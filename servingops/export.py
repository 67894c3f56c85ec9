"""Generate an endpoint file from a live endpoint (adopting endpoints made by hand).

The GET answer is reduced to what a user would write: server fields, defaults and
the per-entity ``task`` are dropped, routes become ``traffic``, the tag list a map.
Write-only secrets never come back from the API, so a provider block that used a
``*_plaintext`` key is exported without it and ``validate`` says what to add.
"""

from __future__ import annotations

from typing import Any

import yaml

from servingops.catalogue import Catalogue
from servingops.state import SERVER_ENTITY_KEYS, prune

ORDER = (
    "name",
    "tier",
    "task",
    "description",
    "served_entities",
    "traffic",
    "ai_gateway",
    "tags",
    "route_optimized",
    "email_notifications",
)
MODELINE = "# yaml-language-server: $schema=../schemas/endpoint.schema.json\n"


def export_endpoint(detail: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """The endpoint-file mapping for a GET ``ServingEndpointDetailed`` answer."""
    config = detail.get("config") or {}
    entities = [_entity(e) for e in config.get("served_entities") or []]
    name = str(detail.get("name"))
    tier = _tier(name, entities, catalogue)
    raw: dict[str, Any] = {
        "name": name,
        "tier": tier,
        "task": _task(detail, config, catalogue),
        "description": detail.get("description") or None,
        "served_entities": entities if tier != "pay-per-token" else None,
        "traffic": _traffic(config.get("traffic_config"), len(entities)),
        "ai_gateway": prune(detail.get("ai_gateway")) if tier != "pay-per-token" else None,
        "tags": {t["key"]: t.get("value", "") for t in detail.get("tags") or []} or None,
        "route_optimized": True if detail.get("route_optimized") else None,
        "email_notifications": prune(detail.get("email_notifications")),
    }
    return {k: raw[k] for k in ORDER if raw.get(k) is not None}


def to_yaml(raw: dict[str, Any]) -> str:
    """File text: the schema modeline, a provenance comment, then the mapping."""
    body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
    return MODELINE + f"# exported from the live endpoint '{raw['name']}'\n" + body


def _entity(entity: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entity.items() if k not in SERVER_ENTITY_KEYS}
    if isinstance(out.get("external_model"), dict):
        out["external_model"] = {k: v for k, v in out["external_model"].items() if k != "task"}
    if out.get("workload_type") == "CPU" and "external_model" not in out:
        del out["workload_type"]
    cleaned: dict[str, Any] = prune(out) or {}
    return cleaned


def _tier(name: str, entities: list[dict[str, Any]], catalogue: Catalogue) -> str:
    if name in catalogue.pay_per_token:
        return "pay-per-token"
    if any("external_model" in e for e in entities):
        return "external"
    return "provisioned"


def _task(detail: dict[str, Any], config: dict[str, Any], catalogue: Catalogue) -> str:
    if detail.get("task"):
        return str(detail["task"])
    for entity in config.get("served_entities") or []:
        ext = entity.get("external_model") or {}
        model = catalogue.foundation_models.get(str(entity.get("entity_name")), {})
        if ext.get("task") or model.get("task"):
            return str(ext.get("task") or model.get("task"))
    return str(catalogue.pay_per_token.get(str(detail.get("name")), {}).get("task", "llm/v1/chat"))


def _traffic(traffic: dict[str, Any] | None, count: int) -> dict[str, int] | None:
    routes = (traffic or {}).get("routes") or []
    if count <= 1 or not routes:
        return None
    return {
        str(r.get("served_entity_name") or r.get("served_model_name")): int(r["traffic_percentage"])
        for r in routes
    }
