"""Who may touch a live endpoint: this stack's, or another owner's with consent.

Every endpoint a stack creates or adopts carries the ownership tag
(``servingops.model.rest.OWNER_TAG`` = ``<project>/<stack>``). The rules, as the peers
have them (Terraform and bundles answer "already exists" until an explicit import):

* an endpoint that carries this stack's tag is ours: update, delete, and a create that
  finds it (a run that died after the create) converges on it;
* an endpoint without the tag (made by hand) is taken over only with consent: the
  file's ``adopt: true`` or the stack-wide ``servingops:adopt``;
* an endpoint tagged by another stack is taken over only with the file's own
  ``adopt: true``, and never updated or deleted in passing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from servingops.errors import ConfigError, ToolError
from servingops.model.endpoint import EndpointSpec
from servingops.model.kinds import PermissionLevel, PrincipalKind
from servingops.model.rest import OWNER_TAG, owner_of

__all__ = [
    "NotOurs",
    "WorkspaceMismatch",
    "check_caller_kept",
    "check_creator_keeps_manage",
    "check_delete",
    "check_takeover",
    "check_update",
    "check_workspace",
]


class NotOurs(ToolError):
    """Raised when an endpoint belongs to someone else and there is no consent to take it."""


class WorkspaceMismatch(ToolError):
    """Raised when the credentials reach a workspace other than the one the stack manages."""


def check_workspace(what: str, recorded: str | None, seen: str) -> None:
    """Refuse to act on ``what`` in a workspace other than the ``recorded`` one.

    ``recorded`` is the workspace id (or host) stored at the last write; None for
    records written before it was kept (nothing to compare).
    """
    if recorded and recorded != seen:
        raise WorkspaceMismatch(
            f"{what} is managed in workspace {recorded}, but the credentials reach "
            f"workspace {seen}: refusing to read, change or delete it there",
            hint="check DATABRICKS_HOST / servingops:host; to move the stack on purpose, "
            "`pulumi config set servingops:allowWorkspaceChange true` and run `up`",
        )


def check_takeover(spec: EndpointSpec, detail: Mapping[str, Any], *, stack_adopt: bool) -> str:
    """Allow a create that finds ``spec.name`` live, or raise ``NotOurs``; returns why."""
    owner = owner_of(detail)
    if spec.owner is not None and owner == spec.owner:
        return "it carries this stack's ownership tag (a run that stopped after creating it)"
    if spec.adopt:
        return "the file says adopt: true"
    if owner is None and stack_adopt:
        return "servingops:adopt is set for this stack"
    raise NotOurs(_refusal(spec.name, owner), hint=_adopt_hint(spec, owner))


def check_update(spec: EndpointSpec, detail: Mapping[str, Any]) -> None:
    """Refuse to change an endpoint that another stack has tagged since."""
    owner = owner_of(detail)
    if owner is not None and spec.owner is not None and owner != spec.owner and not spec.adopt:
        raise NotOurs(
            f"endpoint '{spec.name}' is now owned by stack '{owner}' ({OWNER_TAG} tag); "
            "refusing to change it",
            hint=f"remove it from this stack, or set adopt: true in {spec.source or 'its file'}",
        )


def check_creator_keeps_manage(spec: EndpointSpec, creator: str | None) -> None:
    """Refuse (``ConfigError``) a file whose ``permissions`` name the endpoint's
    ``creator`` below ``CAN_MANAGE``.

    The creator is the identity servingops runs as; a PUT with it at ``CAN_QUERY`` drops
    servingops' own right to update, re-permission, roll back or delete the endpoint (the
    next call is 403). terraform-provider-databricks refuses the same ("it is not possible
    to decrease administrative permissions for the current user"). Called before any write.
    """
    for entry in spec.permissions or ():
        if creator and entry.names(creator) and entry.level is not PermissionLevel.CAN_MANAGE:
            raise ConfigError(
                f"endpoint '{spec.name}': permissions in {spec.source or 'its file'} give its "
                f"creator {entry.kind.value} '{entry.principal}' {entry.level.value}; servingops "
                "runs as the creator and would lose CAN_MANAGE on its own endpoint",
                hint="leave the creator out of permissions (it keeps CAN_MANAGE) or give it "
                "CAN_MANAGE",
            )


def check_caller_kept(spec: EndpointSpec, caller: str, removed: Iterable[str]) -> None:
    """Refuse (``ConfigError``) a permissions write that would remove the ``caller``'s own
    entry (``removed``: ``EndpointState.permissions`` keys the PUT drops).

    The PUT keeps the creator's CAN_MANAGE, which is servingops' own on the endpoints it
    creates. An adopted endpoint was created by someone else: servingops' grant there is
    a direct entry like any other, and dropping it locks servingops out
    (terraform-provider-databricks#2165: the provider re-adds the caller). Called before
    any write.
    """
    for key in removed:
        kind, _, principal = key.partition(":")
        if caller and principal == PrincipalKind(kind).canonical(caller):
            raise ConfigError(
                f"endpoint '{spec.name}': permissions in {spec.source or 'its file'} leave out "
                f"{kind} '{caller}', the identity servingops runs as; the write would remove "
                "its own access to the endpoint",
                hint=f"add `- {{level: CAN_MANAGE, {kind}: {caller}}}` to permissions",
            )


def check_delete(spec: EndpointSpec, detail: Mapping[str, Any]) -> bool:
    """True when deleting is ours to do; False for an endpoint another stack owns now."""
    owner = owner_of(detail)
    return owner is None or spec.owner is None or owner == spec.owner


def _refusal(name: str, owner: str | None) -> str:
    if owner is None:
        return f"endpoint '{name}' already exists in this workspace, made outside servingops"
    return f"endpoint '{name}' already exists and belongs to stack '{owner}' ({OWNER_TAG} tag)"


def _adopt_hint(spec: EndpointSpec, owner: str | None) -> str:
    where = spec.source or f"endpoints/{spec.name}.yaml"
    steps = f"compare it first (`servingops export {spec.name}`), then set `adopt: true` in {where}"
    if owner is None:
        steps += " or `pulumi config set servingops:adopt true` for every hand-made endpoint"
    return steps + "; or rename the endpoint in the file"
