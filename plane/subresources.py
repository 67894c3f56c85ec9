"""In-place changes to one endpoint: AI gateway, tags, limits, notifications, telemetry.

Each function validates its request body, changes the ``EndpointResource`` and returns
the response body.
"""

from __future__ import annotations

from typing import Any

from plane.checks import as_object, opt_list, opt_object
from plane.errors import InvalidParameter, UpdateInProgress
from plane.render import render_tags
from plane.resource import ConfigUpdate, EndpointResource, Kind
from plane.validate_extras import (
    check_ai_gateway,
    check_legacy_rate_limits,
    check_notifications,
    check_tags,
)


def put_ai_gateway(endpoint: EndpointResource, body: Any) -> dict[str, Any]:
    """Full replace of the AI gateway; all-null clears it. Echoes what is stored."""
    endpoint.ai_gateway = check_ai_gateway(body, "ai_gateway", endpoint.ai_gateway, endpoint.name)
    return dict(endpoint.ai_gateway or {})


def patch_tags(endpoint: EndpointResource, body: Any) -> dict[str, Any]:
    """Merge ``add_tags`` and drop ``delete_tags``; return all tags sorted by key."""
    body = as_object(body, "body")
    tags = dict(endpoint.tags)
    for key in opt_list(body, "delete_tags", "") or []:
        if not isinstance(key, str):
            raise InvalidParameter("'delete_tags' must be a list of tag keys (strings).")
        tags.pop(key, None)
    tags.update(check_tags(body.get("add_tags"), "add_tags"))
    endpoint.tags = tags
    return {"tags": render_tags(tags)}


def put_rate_limits(endpoint: EndpointResource, body: Any) -> dict[str, Any]:
    """Replace the deprecated top-level rate limits; echo them (GET never returns them)."""
    body = as_object(body, "body")
    endpoint.rate_limits = check_legacy_rate_limits(body.get("rate_limits"), "rate_limits")
    return {"rate_limits": endpoint.rate_limits}


def patch_notifications(endpoint: EndpointResource, body: Any) -> dict[str, Any]:
    """Replace the e-mail notifications; return ``{name, email_notifications}``."""
    body = as_object(body, "body")
    raw = body.get("email_notifications")
    notes = check_notifications(raw, "email_notifications") if raw else None
    endpoint.email_notifications = notes
    return {"name": endpoint.name, "email_notifications": notes or {}}


def patch_telemetry_config(endpoint: EndpointResource, body: Any) -> None:
    """Set (or, when omitted, remove) the telemetry config of a custom-model endpoint."""
    body = as_object(body, "body")
    if endpoint.config_update() == ConfigUpdate.IN_PROGRESS:
        raise UpdateInProgress(endpoint.name)
    check_telemetry_allowed(endpoint.kind, endpoint.external, endpoint.task)
    endpoint.telemetry_config = opt_object(body, "telemetry_config", "")


def check_telemetry_allowed(kind: Kind, external: bool | None, task: str | None) -> None:
    """Telemetry is only for custom-model endpoints (not external, PT or pay-per-token)."""
    if kind != Kind.REGULAR or external or task:
        raise InvalidParameter(
            "telemetry_config is only supported for custom model endpoints, not for "
            "external-model, provisioned-throughput or pay-per-token endpoints."
        )
