"""Semantic checks on ``permissions``: one principal per entry, each principal once,
the admins group and service-principal ids (the Permissions API's own rules)."""

from __future__ import annotations

import uuid

from servingops.model.kinds import PermissionLevel, PrincipalKind
from servingops.rules.context import Ctx

PRINCIPAL_KEYS = tuple(k.value for k in PrincipalKind)
ADMINS_GROUP = "admins"
"""The workspace admins group: CAN_MANAGE on every endpoint by inheritance."""


def rule_permissions(ctx: Ctx) -> None:
    """Each ``permissions`` entry names exactly one principal, each principal once (user
    e-mails and application ids ignoring case); a pay-per-token reference does not manage
    its ACL (the schema refuses the key there)."""
    seen: dict[str, tuple[int, str]] = {}
    for i, entry in enumerate(ctx.data.get("permissions") or []):
        if not isinstance(entry, dict):
            continue
        kinds = [k for k in PRINCIPAL_KEYS if entry.get(k)]
        if len(kinds) != 1:
            ctx.error(
                ("permissions", i),
                f"a permission names exactly one principal, got {len(kinds)}",
                "permission-principal",
                "use one of user_name, group_name, service_principal_name per entry",
            )
            continue
        _duplicate_principal(ctx, i, PrincipalKind(kinds[0]), str(entry[kinds[0]]), seen)
        if kinds[0] == PrincipalKind.GROUP.value and entry[kinds[0]] == ADMINS_GROUP:
            _admins_entry(ctx, i, str(entry.get("level")))
        if kinds[0] == PrincipalKind.SERVICE_PRINCIPAL.value:
            _application_id(ctx, i, str(entry[kinds[0]]))


def _application_id(ctx: Ctx, i: int, name: str) -> None:
    """``service_principal_name`` is the application id (a UUID), a frequent surprise
    (databricks-sdk-py#678): a display name is refused by the service as unknown."""
    try:
        uuid.UUID(name)
    except ValueError:
        ctx.warn(
            ("permissions", i, PrincipalKind.SERVICE_PRINCIPAL.value),
            f"service_principal_name '{name}' is not an application id (a UUID): the "
            "Permissions API names service principals by application id, not display name",
            "permission-principal-id",
            "copy the service principal's application id from the workspace admin settings "
            "(databricks-sdk-py#678)",
        )


def _admins_entry(ctx: Ctx, i: int, level: str) -> None:
    """Workspace ``admins`` inherit CAN_MANAGE on every endpoint: an entry below it is
    refused by the Permissions API ("Cannot change permissions for group 'admins'",
    terraform-provider-databricks#3111), one at CAN_MANAGE changes nothing. Terraform's
    ``databricks_permissions`` refuses both."""
    what = "group 'admins' (workspace admins) always has CAN_MANAGE, inherited from "
    what += "/serving-endpoints/; "
    hint = "remove the entry: admins cannot be restricted (terraform-provider-databricks "
    hint += "refuses it too)"
    if level == PermissionLevel.CAN_MANAGE.value:
        ctx.warn(("permissions", i), what + "this entry changes nothing", "permission-admins", hint)
    else:
        what += f"the Permissions API refuses to lower it to {level}"
        ctx.error(("permissions", i), what, "permission-admins", hint)


def _duplicate_principal(
    ctx: Ctx, i: int, kind: PrincipalKind, name: str, seen: dict[str, tuple[int, str]]
) -> None:
    """An error when entry ``i`` names a principal an earlier entry named (``seen``: key ->
    (entry, name as written)); the Permissions API compares e-mails and ids ignoring case."""
    key = kind.key(name)
    if key in seen:
        first, written = seen[key]
        also = (
            "" if written == name else f", as '{written}'; e-mails and application ids ignore case"
        )
        ctx.error(
            ("permissions", i, kind.value),
            f"{kind.value} '{name}' is listed twice (first at entry {first}{also})",
            "permission-duplicate",
            "give each principal one entry with its highest level",
        )
    seen.setdefault(key, (i, name))
