"""The one comparison: current ``EndpointState`` vs desired ``EndpointState``.

``pulumi preview`` (the provider's ``diff``), ``servingops diff`` and ``servingops
drift`` all call ``diff_endpoint``, so they cannot disagree. Semantics:

* Only what the file manages is compared: a desired attribute that is ``None`` (the
  key is absent from the file) is unmanaged and never drifts.
* A managed empty value (``tags: {}``, ``ai_gateway: {}``, ``rate_limits: []``) is
  compared like any other: live values are changes (they will be cleared), and a live
  empty echo (``[]``, ``{}``, absent) equals it.
* Entities are matched by name; within one, only the keys the file sets are
  compared, so server defaults (``workload_type: CPU`` …) are not drift.
* ``ai_gateway`` is replaced as a whole by the API: a live section the file does not
  declare is a change (it would be cleared).
* Write-only values are compared by fingerprint, when the current side knows one.
* ``permissions`` manage the endpoint's *direct* ACL entries as a whole (as Terraform's
  ``databricks_permissions`` does): a live principal the file does not name is a change
  (it would be removed). Inherited entries (workspace ``admins``) never take part, and
  the creator's own entry only when the file names the creator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servingops.model.endpoint import GATEWAY_SECTIONS, AiGateway, EmailNotifications, compact
from servingops.model.fields import MASK
from servingops.model.kinds import ChangeGroup, Kind
from servingops.model.state import EndpointState

REPLACE_REASONS = {
    "name": "the endpoint name is its identity",
    "kind": "external ↔ non-external and provisioned ↔ regular cannot change in place",
    "route_optimized": "route_optimized has no update API",
    "description": "description has no update API",
}


@dataclass(frozen=True)
class FieldChange:
    """One difference: where, from what to what, and which API call applies it."""

    path: str
    old: Any
    new: Any
    group: ChangeGroup
    note: str = ""
    """How it is applied when that takes more than one call (shown in reviews)."""

    @property
    def replace(self) -> bool:
        """True when the change cannot be made in place."""
        return self.group is ChangeGroup.REPLACE

    @property
    def action(self) -> str:
        """``add``, ``remove`` or ``change``."""
        if _empty(self.old):
            return "add"
        return "remove" if _empty(self.new) else "change"


def diff_endpoint(current: EndpointState, desired: EndpointState) -> list[FieldChange]:
    """Every managed difference between two states, in a stable order."""
    changes = _identity(current, desired)
    if desired.entities is not None:  # None: a pay-per-token reference manages none
        changes += _entities(current.entities or {}, desired.entities)
    changes += _write_only(current.write_only, desired.write_only or {})
    changes += _managed_map("traffic", current.traffic, desired.traffic, ChangeGroup.CONFIG)
    changes += _managed_map("tags", current.tags, desired.tags, ChangeGroup.TAGS)
    changes += _gateway(current.ai_gateway, desired.ai_gateway)
    changes += _notifications(current.email_notifications, desired.email_notifications)
    changes += _permissions(current, desired.permissions)
    return changes


def needs_replace(changes: list[FieldChange]) -> list[str]:
    """The top-level keys whose change forces a replacement."""
    return sorted({c.path.split(".")[0].split("[")[0] for c in changes if c.replace})


def changed_groups(changes: list[FieldChange]) -> set[ChangeGroup]:
    """The API groups that ``changes`` touch."""
    return {c.group for c in changes}


def _identity(current: EndpointState, desired: EndpointState) -> list[FieldChange]:
    pairs: list[tuple[str, Any, Any]] = [("name", current.name, desired.name)]
    if Kind.EMPTY not in (current.kind, desired.kind) and desired.kind is not Kind.PAY_PER_TOKEN:
        pairs.append(("kind", current.kind.value, desired.kind.value))
    if desired.route_optimized is not None:
        pairs.append(("route_optimized", bool(current.route_optimized), desired.route_optimized))
    if desired.description is not None:
        pairs.append(("description", current.description or "", desired.description))
    return [FieldChange(k, old, new, ChangeGroup.REPLACE) for k, old, new in pairs if old != new]


def _entities(
    current: Mapping[str, Mapping[str, Any]], desired: Mapping[str, Mapping[str, Any]]
) -> list[FieldChange]:
    out = []
    for name in sorted(set(current) | set(desired)):
        path = f"served_entities[{name}]"
        if name not in current or name not in desired:
            out.append(FieldChange(path, current.get(name), desired.get(name), ChangeGroup.CONFIG))
            continue
        out.extend(_subset(path, current[name], desired[name]))
    return out


def _subset(path: str, live: Any, want: Any) -> list[FieldChange]:
    """Changes where ``want`` (declared) differs from ``live``; extra live keys are ignored.

    A declared empty mapping is compared whole (it clears), not key by key.
    """
    if isinstance(want, Mapping) and want and isinstance(live, Mapping):
        out = []
        for key in want:
            out.extend(_subset(f"{path}.{key}", live.get(key), want[key]))
        return out
    if _same(live, want):
        return []
    return [FieldChange(path, live, want, ChangeGroup.CONFIG)]


def _empty(value: Any) -> bool:
    return compact(value) is None


def _same(live: Any, want: Any) -> bool:
    """Equal as data, empty equal to absent; lists compare as multisets (order unkept)."""
    live, want = compact(live), compact(want)
    if isinstance(want, list) and isinstance(live, list):
        return sorted(map(_canonical, want)) == sorted(map(_canonical, live))
    if isinstance(want, Mapping) and isinstance(live, Mapping):
        return _canonical(want) == _canonical(live)
    return bool(live == want)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _write_only(current: Mapping[str, str] | None, desired: Mapping[str, str]) -> list[FieldChange]:
    if current is None:
        return []  # no record of what was written (e.g. drift without state): cannot compare
    return [
        FieldChange(
            key,
            MASK if key in current else None,
            MASK if key in desired else None,
            ChangeGroup.CONFIG,
        )
        for key in sorted(set(current) | set(desired))
        if current.get(key) != desired.get(key)
    ]


def _managed_map(
    key: str, live: Mapping[str, Any] | None, want: Mapping[str, Any] | None, group: ChangeGroup
) -> list[FieldChange]:
    if want is None:
        return []
    live = live or {}
    return [
        FieldChange(f"{key}.{k}", live.get(k), want.get(k), group)
        for k in sorted(set(live) | set(want))
        if live.get(k) != want.get(k)
    ]


TABLE_RENAME = "2 steps: disable the inference table, then enable it under the new names"


def _gateway(live: AiGateway | None, want: AiGateway | None) -> list[FieldChange]:
    if want is None:
        return []
    live = live or AiGateway()
    rename = want.renames_table_of(live)
    return [
        FieldChange(
            f"ai_gateway.{s}",
            live.section(s),
            want.section(s),
            ChangeGroup.AI_GATEWAY,
            note=TABLE_RENAME if rename and s == "inference_table_config" else "",
        )
        for s in sorted(GATEWAY_SECTIONS)
        if not _same(live.section(s), want.section(s))
    ]


def _notifications(
    live: EmailNotifications | None, want: EmailNotifications | None
) -> list[FieldChange]:
    if want is None:
        return []
    live = live or EmailNotifications()
    out = []
    for key in ("on_update_failure", "on_update_success"):
        old, new = list(getattr(live, key)), list(getattr(want, key))
        if old != new:
            path = f"email_notifications.{key}"
            out.append(FieldChange(path, old or None, new or None, ChangeGroup.NOTIFICATIONS))
    return out


def _permissions(current: EndpointState, want: Mapping[str, str] | None) -> list[FieldChange]:
    if want is None:
        return []
    creator = (current.creator or "").lower()  # keys hold e-mails and ids lowercased
    named = {key.partition(":")[2].lower() for key in want}
    live = {
        key: level
        for key, level in (current.permissions or {}).items()
        if key.partition(":")[2].lower() != creator or creator in named
    }
    return [
        FieldChange(f"permissions[{key}]", live.get(key), want.get(key), ChangeGroup.PERMISSIONS)
        for key in sorted(set(live) | set(want))
        if live.get(key) != want.get(key)
    ]
