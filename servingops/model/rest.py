"""The REST codec: the only code that knows the Model Serving API's field names.

Spec → request bodies (create, config, tags, AI gateway, notifications), and a GET
``ServingEndpointDetailed`` answer → live ``EndpointState`` or an endpoint-file mapping
(export). Our sugar is translated here and only here (control-plane-api.md §2-§6):
the top-level ``task`` goes into each ``external_model``, ``traffic`` ↔
``config.traffic_config.routes``, ``tags`` map ↔ ``[{key, value}]``, and entity names
are always sent explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servingops.model.endpoint import (
    AiGateway,
    EmailNotifications,
    EndpointSpec,
    Permission,
    ServedEntity,
    compact,
)
from servingops.model.fields import FieldRegistry, Item, PathPart, registry
from servingops.model.kinds import Kind, PermissionLevel, PrincipalKind
from servingops.model.state import EndpointState

__all__ = [
    "acl_from_api",
    "config_body",
    "create_body",
    "creator_of",
    "endpoint_id",
    "gateway_body",
    "live_state",
    "notifications_body",
    "permissions_body",
    "routes_from_traffic",
    "tags_from_api",
    "tags_patch",
    "tags_to_api",
    "user_name_of",
    "traffic_from_routes",
]

Detail = Mapping[str, Any]

OWNER_TAG = "servingops-stack"
"""The tag every endpoint created or adopted by a stack carries: ``<project>/<stack>``.
Ours, not the file's: never compared with ``tags``, never deleted by a tags PATCH."""
FAILED_UPDATES = ("UPDATE_FAILED", "UPDATE_CANCELED")


# --- spec → request bodies -------------------------------------------------------------


def create_body(spec: EndpointSpec) -> dict[str, Any]:
    """The create request body (regular or ``/pt`` route): only what the file set."""
    body: dict[str, Any] = {"name": spec.name, "config": config_body(spec)}
    optional: dict[str, Any] = {
        "ai_gateway": gateway_body(spec) if spec.ai_gateway is not None else None,
        "tags": tags_to_api(_with_owner(spec.tags or {}, spec.owner))
        if spec.tags is not None or spec.owner
        else None,
        "email_notifications": notifications_body(spec),
        "budget_policy_id": spec.budget_policy_id,
    }
    if not spec.uses_pt_route:  # the /pt create takes neither (§2)
        optional |= {"route_optimized": spec.route_optimized, "description": spec.description}
    body |= {k: v for k, v in optional.items() if v is not None}
    return body


def config_body(spec: EndpointSpec) -> dict[str, Any]:
    """The ``config`` object: served entities (task filled in) and traffic routes."""
    config: dict[str, Any] = {
        "served_entities": [_entity_to_api(e, spec.task) for e in spec.served_entities]
    }
    if spec.traffic is not None:
        config["traffic_config"] = {"routes": routes_from_traffic(spec.traffic)}
    return config


def gateway_body(spec: EndpointSpec) -> dict[str, Any]:
    """The AI-gateway PUT body: every declared section; ``{}`` clears them all (§1)."""
    return (spec.ai_gateway or AiGateway()).to_mapping()


def notifications_body(spec: EndpointSpec) -> dict[str, Any] | None:
    """``email_notifications`` with both lists (an empty list clears it); None if unmanaged."""
    notes = spec.email_notifications
    return None if notes is None else dict(notes.to_mapping())


def permissions_body(spec: EndpointSpec, creator: str | None) -> dict[str, Any]:
    """The ACL PUT body (``/api/2.0/permissions/serving-endpoints/{id}``): the declared
    entries, plus ``CAN_MANAGE`` for the endpoint's ``creator`` unless the file names it.

    A PUT replaces every direct entry, and the service drops the creator's own one when
    it is left out (terraform-provider-databricks#2165; the provider re-adds the caller's
    ``CAN_MANAGE`` since #2168): servingops keeps it the same way. The creator is sent as a
    ``user_name`` when it is an e-mail address, else as a ``service_principal_name`` (GET
    ``creator`` is the user's e-mail or the service principal's application id).
    Inherited entries (workspace ``admins``) cannot be replaced and are never sent.
    """
    declared = list(spec.permissions or ())
    if creator and all(not p.names(creator) for p in declared):
        kind = PrincipalKind.USER if "@" in creator else PrincipalKind.SERVICE_PRINCIPAL
        declared.append(Permission(kind, creator, PermissionLevel.CAN_MANAGE))
    return {
        "access_control_list": [
            {p.kind.value: p.principal, "permission_level": p.level.value} for p in declared
        ]
    }


def acl_from_api(answer: Mapping[str, Any] | None) -> dict[str, str] | None:
    """A Permissions API answer's *direct* entries as ``{<kind>:<principal>: level}``.

    Entries whose every permission is ``inherited`` (workspace ``admins``, grants on the
    ``/serving-endpoints/`` root) are left out: they are not the endpoint's to manage.
    None when there is no answer (the ACL was not read).
    """
    if answer is None:
        return None
    out: dict[str, str] = {}
    for entry in answer.get("access_control_list") or ():
        kind = next((k for k in PrincipalKind if entry.get(k.value)), None)
        levels = [
            str(p.get("permission_level"))
            for p in entry.get("all_permissions") or ()
            if not p.get("inherited")
        ]
        if kind is not None and levels:
            out[kind.key(str(entry[kind.value]))] = max(levels, key=_level_rank)
    return out


def _level_rank(level: str) -> int:
    order = [lv.value for lv in PermissionLevel]
    return order.index(level) if level in order else -1


def tags_to_api(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """A tag map as the API's ``[{key, value}]`` list, sorted by key."""
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def tags_from_api(tags: Any) -> dict[str, str]:
    """The API's ``[{key, value?}]`` list as a map (a missing value is ``""``)."""
    return {str(t["key"]): str(t.get("value") or "") for t in tags or () if "key" in t}


def tags_patch(
    live: Mapping[str, str], want: Mapping[str, str] | None, owner: str | None = None
) -> tuple[list[dict[str, str]], list[str]]:
    """The one PATCH that turns ``live`` tags into ``want`` plus the ownership tag.

    ``want`` None (tags unmanaged) only sets the ownership tag. Returns
    ``(add_tags, delete_tags)``; the ownership tag is never deleted.
    """
    target = _with_owner(want if want is not None else live, owner)
    add = tags_to_api({k: v for k, v in target.items() if live.get(k) != v})
    return add, sorted(k for k in live if k not in target and k != OWNER_TAG)


def user_tags(detail: Detail) -> dict[str, str]:
    """A live endpoint's tags without the ownership tag (what a file manages)."""
    return {k: v for k, v in tags_from_api(detail.get("tags")).items() if k != OWNER_TAG}


def owner_of(detail: Detail) -> str | None:
    """The stack named by a live endpoint's ownership tag (None: no tag)."""
    return tags_from_api(detail.get("tags")).get(OWNER_TAG)


def endpoint_id(detail: Detail) -> str:
    """The endpoint's ``id`` (a UUID; the key of the Permissions API), ``""`` when absent."""
    return str(detail.get("id") or "")


def creator_of(detail: Detail) -> str | None:
    """Who created the endpoint (GET ``creator``: a user's e-mail or a service principal's
    application id); None when absent."""
    return str(detail["creator"]) if detail.get("creator") else None


def user_name_of(me: Mapping[str, Any]) -> str:
    """The caller's principal name from a SCIM ``Me`` answer (``userName``: a user's e-mail
    or a service principal's application id), ``""`` when absent."""
    return str(me.get("userName") or "")


def config_update(detail: Detail) -> str:
    """``state.config_update`` of a GET answer (``""`` when absent)."""
    return str((detail.get("state") or {}).get("config_update") or "")


def _with_owner(tags: Mapping[str, str], owner: str | None) -> dict[str, str]:
    return {**tags, OWNER_TAG: owner} if owner else dict(tags)


def routes_from_traffic(traffic: Mapping[str, int]) -> list[dict[str, Any]]:
    """``{entity: pct}`` as ``traffic_config.routes``."""
    return [{"served_entity_name": n, "traffic_percentage": p} for n, p in traffic.items()]


def traffic_from_routes(traffic_config: Any) -> dict[str, int] | None:
    """``traffic_config.routes`` as ``{entity: pct}``; None when there are no routes.

    Routes name the entity in ``served_entity_name`` or (legacy) ``served_model_name``.
    """
    routes = (traffic_config or {}).get("routes") or []
    out = {}
    for route in routes:
        name = route.get("served_entity_name") or route.get("served_model_name")
        out[str(name)] = int(route.get("traffic_percentage") or 0)
    return out or None


def _entity_to_api(entity: ServedEntity, task: str) -> dict[str, Any]:
    out = entity.to_mapping()
    if isinstance(out.get("external_model"), dict):
        out["external_model"]["task"] = str(task)
    return out


# --- GET → live state ------------------------------------------------------------------


def live_state(
    detail: Detail,
    previous: EndpointState | None = None,
    fields: FieldRegistry | None = None,
    acl: Mapping[str, Any] | None = None,
) -> EndpointState:
    """The live ``EndpointState`` of a GET answer.

    ``previous`` (the state recorded at the last write) supplies what GET cannot: the
    write-only fingerprints and, for an endpoint without entities, its kind. ``acl`` is
    the Permissions API answer for the endpoint's id (None: not read, permissions unknown).
    """
    reg = fields or registry()
    config = detail.get("config") or {}
    served = config.get("served_entities") or []
    return EndpointState(
        name=str(detail.get("name") or ""),
        kind=_live_kind(served, previous),
        entities={str(e.get("name")): live_entity(e, reg) for e in served},
        traffic=traffic_from_routes(config.get("traffic_config")),
        ai_gateway=AiGateway.from_mapping(detail.get("ai_gateway")).with_default_table_prefix(
            str(detail.get("name") or "")
        ),
        tags=user_tags(detail),
        description=str(detail.get("description") or ""),
        route_optimized=bool(detail.get("route_optimized")),
        email_notifications=EmailNotifications.from_mapping(detail.get("email_notifications")),
        permissions=acl_from_api(acl),
        creator=creator_of(detail),
        write_only=None if previous is None or previous.write_only is None else previous.write_only,
    )


def live_entity(entity: Mapping[str, Any], reg: FieldRegistry) -> dict[str, Any]:
    """A GET entity without its name, server-added and write-only keys."""
    path: tuple[PathPart, ...] = ("served_entities", Item(str(entity.get("name"))))
    out: dict[str, Any] = _without_server_fields(entity, path, reg)
    out.pop("name", None)
    return out


def _without_server_fields(obj: Any, path: tuple[PathPart, ...], reg: FieldRegistry) -> Any:
    if not isinstance(obj, Mapping):
        return obj
    drop = reg.server_fields_of(path)
    return {
        k: _without_server_fields(v, (*path, k), reg)
        for k, v in obj.items()
        if k not in drop and not reg.is_write_only((*path, k))
    }


def _live_kind(entities: list[Mapping[str, Any]], previous: EndpointState | None) -> Kind:
    if not entities:
        return previous.kind if previous is not None else Kind.EMPTY
    if any("external_model" in e for e in entities):
        return Kind.EXTERNAL
    if any("provisioned_model_units" in e for e in entities):
        return Kind.PT
    was_reference = previous is not None and previous.kind is Kind.PAY_PER_TOKEN
    return Kind.PAY_PER_TOKEN if was_reference else Kind.PROVISIONED


# --- GET → endpoint file (export) -------------------------------------------------------

FILE_ORDER = (
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
    "permissions",
)


def file_from_detail(
    detail: Detail,
    tier: str,
    task: str,
    fields: FieldRegistry | None = None,
    acl: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The endpoint-file mapping a user would write for a GET answer (``servingops export``).

    Server fields, defaults (``workload_type: CPU`` on a UC model) and the per-entity
    ``task`` are dropped, routes become ``traffic`` (only with several entities), the
    tag list a map. ``tier`` and ``task`` come from the caller (they need the catalogue).
    ``acl`` (the Permissions API answer) becomes ``permissions``: the direct entries
    without the creator's own one and without inherited ones (what a file declares).
    """
    reg = fields or registry()
    config = detail.get("config") or {}
    entities = [_file_entity(e, reg) for e in config.get("served_entities") or []]
    reference = tier == "pay-per-token"
    raw: dict[str, Any] = {
        "name": str(detail.get("name")),
        "tier": tier,
        "task": task,
        "description": detail.get("description") or None,
        "served_entities": None if reference else entities,
        "traffic": traffic_from_routes(config.get("traffic_config")) if len(entities) > 1 else None,
        "ai_gateway": compact(detail.get("ai_gateway")),
        "tags": user_tags(detail) or None,
        "route_optimized": True if detail.get("route_optimized") else None,
        "email_notifications": compact(detail.get("email_notifications")),
        "permissions": _file_permissions(acl, detail.get("creator")),
    }
    return {k: raw[k] for k in FILE_ORDER if raw.get(k) is not None}


def _file_permissions(acl: Mapping[str, Any] | None, creator: Any) -> list[dict[str, str]] | None:
    direct = acl_from_api(acl)
    if not direct:
        return None
    out = []
    for key, level in sorted(direct.items()):
        kind, _, principal = key.partition(":")
        if principal != PrincipalKind(kind).canonical(str(creator or "")):
            out.append({"level": level, kind: principal})
    return out or None


def _file_entity(entity: Mapping[str, Any], reg: FieldRegistry) -> dict[str, Any]:
    out = {"name": entity.get("name"), **live_entity(entity, reg)}
    if out.get("workload_type") == "CPU" and "external_model" not in out:
        del out["workload_type"]
    cleaned: dict[str, Any] = compact(out) or {}
    return cleaned
