"""In-place changes to one endpoint document: AI gateway, tags, limits, notifications, telemetry.

Each function validates its request body, changes ``doc`` and returns the response body.
"""

from __future__ import annotations

from typing import Any

from plane import lifecycle
from plane.checks import as_object, opt_list, opt_object
from plane.errors import InvalidParameter, UpdateInProgress
from plane.render import render_tags
from plane.validate_extras import (
    check_ai_gateway,
    check_legacy_rate_limits,
    check_notifications,
    check_tags,
)


def put_ai_gateway(doc: dict[str, Any], body: Any) -> dict[str, Any]:
    """Full replace of the AI gateway; all-null clears it. Echoes what is stored."""
    gateway = check_ai_gateway(body, "ai_gateway", doc.get("ai_gateway"))
    doc["ai_gateway"] = gateway
    return dict(gateway or {})


def patch_tags(doc: dict[str, Any], body: Any) -> dict[str, Any]:
    """Merge ``add_tags`` and drop ``delete_tags``; return all tags sorted by key."""
    body = as_object(body, "body")
    tags: dict[str, str | None] = dict(doc.get("tags") or {})
    for key in opt_list(body, "delete_tags", "") or []:
        if not isinstance(key, str):
            raise InvalidParameter("'delete_tags' must be a list of tag keys (strings).")
        tags.pop(key, None)
    tags.update(check_tags(body.get("add_tags"), "add_tags"))
    doc["tags"] = tags
    return {"tags": render_tags(tags)}


def put_rate_limits(doc: dict[str, Any], body: Any) -> dict[str, Any]:
    """Replace the deprecated top-level rate limits; echo them (GET never returns them)."""
    body = as_object(body, "body")
    doc["rate_limits"] = check_legacy_rate_limits(body.get("rate_limits"), "rate_limits")
    return {"rate_limits": doc["rate_limits"]}


def patch_notifications(doc: dict[str, Any], body: Any) -> dict[str, Any]:
    """Replace the e-mail notifications; return ``{name, email_notifications}``."""
    body = as_object(body, "body")
    raw = body.get("email_notifications")
    doc["email_notifications"] = check_notifications(raw, "email_notifications") if raw else None
    return {"name": doc["name"], "email_notifications": doc["email_notifications"] or {}}


def patch_telemetry_config(doc: dict[str, Any], body: Any) -> None:
    """Set (or, when omitted, remove) the telemetry config of a custom-model endpoint."""
    body = as_object(body, "body")
    if lifecycle.config_update(doc) == lifecycle.IN_PROGRESS:
        raise UpdateInProgress(doc["name"])
    check_telemetry_allowed(doc.get("kind"), doc.get("external"), doc.get("task"))
    doc["telemetry_config"] = opt_object(body, "telemetry_config", "")


def check_telemetry_allowed(kind: Any, external: Any, task: Any) -> None:
    """Telemetry is only for custom-model endpoints (not external, PT or pay-per-token)."""
    if kind != "regular" or external or task:
        raise InvalidParameter(
            "telemetry_config is only supported for custom model endpoints, not for "
            "external-model, provisioned-throughput or pay-per-token endpoints."
        )
