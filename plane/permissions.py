"""Endpoint ACLs for the Permissions API (keyed by endpoint id; PUT replaces, PATCH merges)."""

from __future__ import annotations

from typing import Any

from plane.checks import as_object, check_enum, opt_list, where
from plane.errors import InvalidParameter, PermissionDenied
from plane.principals import ADMINS, Directory

LEVELS = {
    "CAN_MANAGE": "Can manage the endpoint: update config, permissions and delete it.",
    "CAN_QUERY": "Can query the endpoint.",
    "CAN_VIEW": "Can view the endpoint and its configuration.",
}
PRINCIPAL_KEYS = ("user_name", "group_name", "service_principal_name")


def default_acl(creator: str) -> list[dict[str, str]]:
    """The ACL of a new endpoint: its creator can manage it (a user is named by e-mail,
    a service principal by its application id)."""
    kind = "user_name" if "@" in creator else "service_principal_name"
    return [{"kind": kind, "principal": canonical(kind, creator), "level": "CAN_MANAGE"}]


def check_acl(body: dict[str, Any], path: str = "access_control_list") -> list[dict[str, str]]:
    """Validate ``{access_control_list: [...]}`` and return stored entries."""
    out = []
    for i, item in enumerate(opt_list(body, "access_control_list", "") or []):
        epath = where(path, i)
        entry = as_object(item, epath)
        kinds = [k for k in PRINCIPAL_KEYS if entry.get(k)]
        if len(kinds) != 1:
            raise InvalidParameter(
                f"'{epath}' needs exactly one of user_name, group_name, service_principal_name."
            )
        level = entry.get("permission_level")
        check_enum(
            level if isinstance(level, str) else str(level),
            tuple(LEVELS),
            f"{epath}.permission_level",
        )
        principal = canonical(kinds[0], str(entry[kinds[0]]))
        out.append({"kind": kinds[0], "principal": principal, "level": str(level)})
    return out


def canonical(kind: str, principal: str) -> str:
    """A principal as the real service stores and answers it: user e-mails and service
    principal application ids lowercased (they are case-insensitive; see
    terraform-provider-databricks#5183), group names as given."""
    return principal if kind == "group_name" else principal.lower()


def check_principals(acl: list[dict[str, str]], directory: Directory) -> None:
    """400 ``INVALID_PARAMETER_VALUE`` for an entry naming a principal nobody has, or
    lowering the ``admins`` group (it inherits CAN_MANAGE; terraform-provider-databricks
    #3111 quotes the service's message)."""
    for entry in acl:
        if _lowers_admins(entry):
            raise InvalidParameter(
                f"Cannot change permissions for group '{ADMINS}' to {entry['level']}."
            )
        if not directory.exists(entry["kind"], entry["principal"]):
            raise InvalidParameter(
                f"Principal: {entry['kind']} '{entry['principal']}' does not exist in this "
                "workspace."
            )


def _lowers_admins(entry: dict[str, str]) -> bool:
    return (
        entry["kind"] == "group_name"
        and entry["principal"] == ADMINS
        and (entry["level"] != "CAN_MANAGE")
    )


QUERY_LEVELS = ("CAN_QUERY", "CAN_MANAGE")


def check_can_query(
    name: str, acl: list[dict[str, str]], principal: str, directory: Directory
) -> None:
    """403 ``PERMISSION_DENIED`` unless ``principal`` may query: an admin, or an entry
    with CAN_QUERY/CAN_MANAGE naming it or a group it belongs to."""
    if directory.is_member(principal, ADMINS) or any(
        e["level"] in QUERY_LEVELS and _names(e, principal, directory) for e in acl
    ):
        return
    raise PermissionDenied(
        f"User '{principal}' does not have permission 'Query' on Endpoint {name}."
    )


def _names(entry: dict[str, str], principal: str, directory: Directory) -> bool:
    if entry["kind"] == "group_name":
        return directory.is_member(principal, entry["principal"])
    return entry["principal"] == principal.lower()


def merge_acl(current: list[dict[str, str]], changes: list[dict[str, str]]) -> list[dict[str, str]]:
    """PATCH semantics: entries for the same principal are replaced, others kept."""
    keys = {(c["kind"], c["principal"]) for c in changes}
    kept = [e for e in current if (e["kind"], e["principal"]) not in keys]
    return kept + changes


def render_permissions(endpoint_id: str, acl: list[dict[str, str]]) -> dict[str, Any]:
    """The ``ServingEndpointPermissions`` response, with the inherited admins entry."""
    entries: list[dict[str, Any]] = [
        {
            e["kind"]: e["principal"],
            "all_permissions": [{"permission_level": e["level"], "inherited": False}],
        }
        for e in acl
    ]
    entries.append(
        {
            "group_name": "admins",
            "all_permissions": [
                {
                    "permission_level": "CAN_MANAGE",
                    "inherited": True,
                    "inherited_from_object": ["/serving-endpoints/"],
                }
            ],
        }
    )
    return {
        "object_id": f"/serving-endpoints/{endpoint_id}",
        "object_type": "serving-endpoint",
        "access_control_list": entries,
    }


def render_levels() -> dict[str, Any]:
    """The ``permissionLevels`` response."""
    return {
        "permission_levels": [
            {"permission_level": level, "description": text} for level, text in LEVELS.items()
        ]
    }
