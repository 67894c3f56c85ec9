"""Endpoint documents: building a new one from a create body, and the rules between versions.

A document is what the store keeps per endpoint (see ``plane.db``): the validated input
with write-only secrets, the server fields, and the update state of ``lifecycle``.
"""

from __future__ import annotations

import uuid
from typing import Any

from plane import permissions, subresources
from plane.checks import opt_bool, opt_object, opt_str
from plane.errors import InvalidParameter, PermissionDenied
from plane.validate_config import CheckedConfig
from plane.validate_extras import (
    check_ai_gateway,
    check_legacy_rate_limits,
    check_notifications,
    check_tags,
)

PT_CREATE_REFUSES = ("route_optimized", "description", "rate_limits", "telemetry_config")


def new_document(
    name: str, principal: str, kind: str, body: dict[str, Any], now_ms: int
) -> dict[str, Any]:
    """A fresh document (no config yet) with the fields every create accepts."""
    gateway, notes = body.get("ai_gateway"), body.get("email_notifications")
    return {
        "name": name,
        "id": uuid.uuid4().hex,
        "creator": principal,
        "creation_timestamp": now_ms,
        "last_updated_timestamp": now_ms,
        "kind": kind,
        "config": None,
        "pending": None,
        "acl": permissions.default_acl(principal),
        "tags": check_tags(body.get("tags"), "tags"),
        "budget_policy_id": opt_str(body, "budget_policy_id", ""),
        "ai_gateway": None if gateway is None else check_ai_gateway(gateway, "ai_gateway", None),
        "email_notifications": (
            None if notes is None else check_notifications(notes, "email_notifications")
        ),
    }


def add_regular_fields(doc: dict[str, Any], body: dict[str, Any], checked: CheckedConfig) -> None:
    """Fields only the regular create takes: description, route_optimized, legacy limits..."""
    doc["description"] = opt_str(body, "description", "") or ""
    doc["route_optimized"] = bool(opt_bool(body, "route_optimized", ""))
    doc["rate_limits"] = check_legacy_rate_limits(body.get("rate_limits"), "rate_limits")
    telemetry = opt_object(body, "telemetry_config", "")
    if telemetry is not None:
        subresources.check_telemetry_allowed("regular", checked.external, checked.task)
        doc["telemetry_config"] = telemetry


def check_pt_create(body: dict[str, Any]) -> None:
    """A ``/pt`` create needs ``config`` and refuses the regular-only fields."""
    for key in PT_CREATE_REFUSES:
        if body.get(key) is not None:
            raise InvalidParameter(f"Provisioned throughput create does not take '{key}'.")
    if body.get("config") is None:
        raise InvalidParameter("'config' is required.")


def is_provisioned(config: dict[str, Any]) -> bool:
    """True when a config serves ``system.ai`` foundation models (provisioned throughput)."""
    return any(
        str(e.get("entity_name", "")).startswith("system.ai.") for e in config["served_entities"]
    )


def entity_names(doc: dict[str, Any]) -> list[str]:
    """Names of the served entities of the current config, or of the pending one."""
    config = doc.get("config") or (doc.get("pending") or {}).get("config") or {}
    return [str(e["name"]) for e in config.get("served_entities", [])]


def refuse_system(doc: dict[str, Any], verb: str) -> None:
    """403 for changes to a pay-per-token system endpoint."""
    if doc.get("kind") == "system":
        raise PermissionDenied(
            f"Endpoint '{doc['name']}' is a pay-per-token system endpoint and cannot be "
            f"{verb} by users (only its AI gateway can be configured)."
        )


def acl_of(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The endpoint's direct ACL entries."""
    return list(doc.get("acl") or permissions.default_acl(str(doc.get("creator"))))


def check_kind(doc: dict[str, Any], kind: str) -> None:
    """A config update uses the route of the endpoint's kind (regular or ``/pt``)."""
    if doc.get("kind") == kind:
        return
    name = doc["name"]
    if kind == "regular":
        raise InvalidParameter(
            f"Endpoint '{name}' is a provisioned throughput endpoint; update it with "
            f"PUT /api/2.0/serving-endpoints/pt/{name}/config."
        )
    raise InvalidParameter(
        f"Endpoint '{name}' is not a provisioned throughput endpoint; update it with "
        f"PUT /api/2.0/serving-endpoints/{name}/config."
    )


def check_external_switch(doc: dict[str, Any], checked: CheckedConfig) -> None:
    """External-model endpoints stay external; others never become external."""
    before = doc.get("external")
    if before is None or checked.external is None or before == checked.external:
        return
    if before:
        why = "has external models and cannot switch to other served entities"
    else:
        why = "has no external models and cannot switch to external models"
    raise InvalidParameter(f"Endpoint '{doc['name']}' {why}; create a new endpoint instead.")
