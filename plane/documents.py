"""Endpoint resources from create bodies, and the rules between an endpoint's versions.

``new_endpoint`` builds the ``EndpointResource`` (``plane.resource``) of a create request
from the fields every create accepts; ``add_regular_fields`` adds those only the regular
create takes. The ``check_*`` / ``refuse_system`` rules raise the API's errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from plane import permissions, subresources
from plane.checks import opt_bool, opt_object, opt_str
from plane.errors import InvalidParameter, PermissionDenied
from plane.resource import EndpointResource, Kind, StoredConfig
from plane.validate_config import CheckedConfig
from plane.validate_extras import (
    check_ai_gateway,
    check_legacy_rate_limits,
    check_notifications,
    check_tags,
)

PT_CREATE_REFUSES = ("route_optimized", "description", "rate_limits", "telemetry_config")


def new_endpoint(
    name: str, principal: str, kind: Kind, body: dict[str, Any], now_ms: int
) -> EndpointResource:
    """A fresh endpoint (no config yet) with the fields every create accepts."""
    gateway, notes = body.get("ai_gateway"), body.get("email_notifications")
    return EndpointResource(
        name=name,
        id=uuid.uuid4().hex,
        creator=principal,
        creation_timestamp=now_ms,
        last_updated_timestamp=now_ms,
        kind=kind,
        acl=permissions.default_acl(principal),
        tags=check_tags(body.get("tags"), "tags"),
        budget_policy_id=opt_str(body, "budget_policy_id", ""),
        ai_gateway=None if gateway is None else check_ai_gateway(gateway, "ai_gateway", None, name),
        email_notifications=(
            None if notes is None else check_notifications(notes, "email_notifications")
        ),
    )


def add_regular_fields(
    endpoint: EndpointResource, body: dict[str, Any], checked: CheckedConfig
) -> None:
    """Fields only the regular create takes: description, route_optimized, legacy limits..."""
    endpoint.description = opt_str(body, "description", "") or ""
    endpoint.route_optimized = bool(opt_bool(body, "route_optimized", ""))
    endpoint.rate_limits = check_legacy_rate_limits(body.get("rate_limits"), "rate_limits")
    telemetry = opt_object(body, "telemetry_config", "")
    if telemetry is not None:
        subresources.check_telemetry_allowed(Kind.REGULAR, checked.external, checked.task)
        endpoint.telemetry_config = telemetry


def check_pt_create(body: dict[str, Any]) -> None:
    """A ``/pt`` create needs ``config`` and refuses the regular-only fields."""
    for key in PT_CREATE_REFUSES:
        if body.get(key) is not None:
            raise InvalidParameter(f"Provisioned throughput create does not take '{key}'.")
    if body.get("config") is None:
        raise InvalidParameter("'config' is required.")


def is_provisioned(config: StoredConfig) -> bool:
    """True when a config serves ``system.ai`` foundation models (provisioned throughput)."""
    return any(
        str(e.get("entity_name", "")).startswith("system.ai.") for e in config.served_entities
    )


def refuse_system(endpoint: EndpointResource, verb: str) -> None:
    """403 for changes to a pay-per-token system endpoint."""
    if endpoint.is_system():
        raise PermissionDenied(
            f"Endpoint '{endpoint.name}' is a pay-per-token system endpoint and cannot be "
            f"{verb} by users (only its AI gateway can be configured)."
        )


def acl_of(endpoint: EndpointResource) -> list[dict[str, str]]:
    """The endpoint's direct ACL entries."""
    if endpoint.acl is None:
        return permissions.default_acl(endpoint.creator)
    return list(endpoint.acl)  # a PUT of [] leaves no direct entry, not even the creator's


def check_kind(endpoint: EndpointResource, kind: Kind) -> None:
    """A config update uses the route of the endpoint's kind (regular or ``/pt``)."""
    if endpoint.kind == kind:
        return
    name = endpoint.name
    if kind == Kind.REGULAR:
        raise InvalidParameter(
            f"Endpoint '{name}' is a provisioned throughput endpoint; update it with "
            f"PUT /api/2.0/serving-endpoints/pt/{name}/config."
        )
    raise InvalidParameter(
        f"Endpoint '{name}' is not a provisioned throughput endpoint; update it with "
        f"PUT /api/2.0/serving-endpoints/{name}/config."
    )


def check_external_switch(endpoint: EndpointResource, checked: CheckedConfig) -> None:
    """External-model endpoints stay external; others never become external."""
    before = endpoint.external
    if before is None or checked.external is None or before == checked.external:
        return
    if before:
        why = "has external models and cannot switch to other served entities"
    else:
        why = "has no external models and cannot switch to external models"
    raise InvalidParameter(f"Endpoint '{endpoint.name}' {why}; create a new endpoint instead.")
