"""What the serving page shows, computed from the API's own answers (pure functions).

Every value comes from ``ServingEndpointDetailed`` (``EndpointStore.get_endpoint``), so
the page shows exactly what a client of the API would see: no secrets (the render strips
``*_plaintext``), the same states, the same traffic routes. Terms follow the Databricks
Serving UI: ready / not ready (updating, update failed), tier, served entities, traffic split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plane.inference.params import CHAT, COMPLETIONS, EMBEDDINGS
from plane.validate_entities import PT_FIELDS

EXAMPLES: dict[str, dict[str, Any]] = {
    CHAT: {
        "messages": [{"role": "user", "content": "Hello! In one sentence, what can you do?"}],
        "max_tokens": 64,
    },
    COMPLETIONS: {"prompt": "Write a haiku about serving models.", "max_tokens": 64},
    EMBEDDINGS: {"input": ["The quick brown fox", "jumps over the lazy dog"]},
}
CUSTOM_EXAMPLE: dict[str, Any] = {"dataframe_records": [{"feature_1": 1.0, "feature_2": "a"}]}
"""A custom model's input (``dataframe_records``); the local plane answers only LLM tasks."""


@dataclass
class Split:
    """One traffic route: served-entity name and percentage (0-100)."""

    entity: str
    percentage: int
    offset: int = 0
    """Sum of the percentages before this one: where its bar segment starts."""


@dataclass
class EndpointRow:
    """One line of the serving endpoints table."""

    name: str
    state: str
    """``ready``, ``updating``, ``failed`` or ``not ready``."""
    label: str
    """The status as the Serving UI words it: ``ready``, ``ready (update failed)``, ``not
    ready (updating)``... (``status_label``)."""
    message: str
    """The failure (or progress) message of the pending update, else empty."""
    tier: str
    task: str
    entities: list[str]
    splits: list[Split]
    tags: list[str]
    rate_limits: list[str]
    last_update: str
    """``YYYY-MM-DD HH:MM:SS UTC``."""
    search: str = field(default="")
    """Lower-case text the name/tag filter matches against."""


def state_of(detail: dict[str, Any]) -> tuple[str, str]:
    """The state label and message of an endpoint (failure message when UPDATE_FAILED)."""
    state = detail.get("state") or {}
    update = state.get("config_update")
    message = _pending_message(detail)
    if update == "UPDATE_FAILED":
        return "failed", message
    if update == "IN_PROGRESS":
        return "updating", message
    return ("ready", "") if state.get("ready") == "READY" else ("not ready", "")


UPDATE_WORDS = {"IN_PROGRESS": "updating", "UPDATE_FAILED": "update failed"}


def status_label(detail: dict[str, Any]) -> str:
    """Readiness (can it be queried?) and, when there is one, the config update's state:
    ``ready``, ``ready (updating)``, ``ready (update failed)``, ``not ready (updating)``,
    ``not ready (update failed)``, ``not ready``. Source: the Serving UI's endpoint
    statuses (docs.databricks.com, model-serving/manage-serving-endpoints)."""
    state = detail.get("state") or {}
    ready = "ready" if state.get("ready") == "READY" else "not ready"
    update = UPDATE_WORDS.get(str(state.get("config_update")))
    return f"{ready} ({update})" if update else ready


def _pending_message(detail: dict[str, Any]) -> str:
    entities = (detail.get("pending_config") or {}).get("served_entities") or []
    texts = [str((e.get("state") or {}).get("deployment_state_message") or "") for e in entities]
    return next((t for t in texts if t), "")


def tier_of(detail: dict[str, Any]) -> str:
    """``pay-per-token``, ``external``, ``provisioned`` or ``custom`` (as the files say)."""
    if detail.get("endpoint_type") == "FOUNDATION_MODEL_API":
        return "pay-per-token"
    entities = _config(detail).get("served_entities") or []
    if any("external_model" in e for e in entities):
        return "external"
    if any(k in e for e in entities for k in PT_FIELDS):
        return "provisioned"
    if any("foundation_model" in e for e in entities):
        return "pay-per-token"
    return "custom" if entities else ""


def _config(detail: dict[str, Any]) -> dict[str, Any]:
    """The deployed config, else the pending one (a first deploy), else empty."""
    return dict(detail.get("config") or detail.get("pending_config") or {})


def describe_entity(entity: dict[str, Any]) -> str:
    """``name (what it serves)``: provider/model, catalog entity and version, or FM name."""
    name = str(entity.get("name", ""))
    external = entity.get("external_model")
    if isinstance(external, dict):
        return f"{name} ({external.get('provider')}/{external.get('name')})"
    if entity.get("entity_name"):
        version = entity.get("entity_version")
        suffix = f" v{version}" if version else ""
        return f"{name} ({entity['entity_name']}{suffix})"
    if isinstance(entity.get("foundation_model"), dict):
        return f"{name} (foundation model)"
    return name


def splits_of(config: dict[str, Any]) -> list[Split]:
    """Traffic routes of a config; a lone entity without routes takes 100%."""
    routes = (config.get("traffic_config") or {}).get("routes") or []
    pairs = [
        (str(r.get("served_entity_name")), int(r.get("traffic_percentage", 0))) for r in routes
    ]
    entities = config.get("served_entities") or []
    if not pairs and len(entities) == 1:
        pairs = [(str(entities[0].get("name")), 100)]
    out, offset = [], 0
    for entity, pct in pairs:
        out.append(Split(entity, pct, offset))
        offset += pct
    return out


def tags_of(detail: dict[str, Any]) -> list[str]:
    """Tags as ``key=value`` (``key`` alone when it has no value)."""
    tags = detail.get("tags") or []
    return [f"{t['key']}={t['value']}" if "value" in t else str(t["key"]) for t in tags]


def rate_limits_of(detail: dict[str, Any]) -> list[str]:
    """AI-gateway rate limits as ``100 calls/minute per user``."""
    limits = (detail.get("ai_gateway") or {}).get("rate_limits") or []
    return [_limit_text(limit) for limit in limits]


def _limit_text(limit: dict[str, Any]) -> str:
    amounts = [f"{limit[k]} {k}" for k in ("calls", "tokens") if limit.get(k) is not None]
    key, principal = limit.get("key") or "user", limit.get("principal")
    who = f"{key} {principal}" if principal else key
    return f"{' + '.join(amounts) or 'unlimited'}/{limit.get('renewal_period', 'minute')} per {who}"


def when(ms_epoch: Any) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM:SS UTC`` (empty when missing)."""
    if not isinstance(ms_epoch, int | float):
        return ""
    return datetime.fromtimestamp(ms_epoch / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def endpoint_row(detail: dict[str, Any]) -> EndpointRow:
    """The table line of one endpoint."""
    state, message = state_of(detail)
    config = _config(detail)
    tags = tags_of(detail)
    return EndpointRow(
        name=str(detail["name"]),
        state=state,
        label=status_label(detail),
        message=message,
        tier=tier_of(detail),
        task=str(detail.get("task") or ""),
        entities=[describe_entity(e) for e in config.get("served_entities") or []],
        splits=splits_of(config),
        tags=tags,
        rate_limits=rate_limits_of(detail),
        last_update=when(detail.get("last_updated_timestamp")),
        search=" ".join([str(detail["name"]), *tags]).lower(),
    )


def matches(row: EndpointRow, query: str) -> bool:
    """The filter: every word of ``query`` appears in the name or a tag (case-insensitive)."""
    return all(word in row.search for word in query.lower().split())


def playground_choices(details: list[dict[str, Any]]) -> list[str]:
    """Names of the chat endpoints the playground offers: ``task`` ``llm/v1/chat`` and
    ``state.ready`` READY (a NOT_READY endpoint refuses queries with 400 INVALID_STATE,
    whether it is still creating or its first deploy failed)."""
    return [
        str(d["name"])
        for d in details
        if d.get("task") == CHAT and (d.get("state") or {}).get("ready") == "READY"
    ]


def example_for(task: str) -> str:
    """The "Show example" request body for an endpoint's task, as indented JSON."""
    return json.dumps(EXAMPLES.get(task, CUSTOM_EXAMPLE), indent=2)


def permission_rows(permissions: dict[str, Any]) -> list[dict[str, str]]:
    """Permissions API entries as ``{principal, kind, levels}`` (inherited ones marked)."""
    rows = []
    for entry in permissions.get("access_control_list") or []:
        kind = next((k for k in entry if k.endswith("_name")), "")
        levels = [
            f"{p.get('permission_level')}{' (inherited)' if p.get('inherited') else ''}"
            for p in entry.get("all_permissions") or []
        ]
        rows.append(
            {"principal": str(entry.get(kind, "")), "kind": kind, "levels": ", ".join(levels)}
        )
    return rows


def pretty(value: Any) -> str:
    """Indented JSON for a ``<pre>`` block (the template escapes it)."""
    return json.dumps(value, indent=2, sort_keys=True)
