"""The one comparison: canonical current state vs canonical desired state.

``pulumi preview`` (the provider's ``diff``), ``servingops plan`` and ``servingops
drift`` all call ``diff_endpoint``, so they cannot disagree. Semantics:

* Only what the file manages is compared: a top-level key the file leaves out
  (tags, ai_gateway, description …) is unmanaged and never drifts.
* Entities are matched by name; within one, only the keys the file sets are
  compared, so server defaults (``workload_type: CPU`` …) are not drift.
* ``ai_gateway`` is replaced as a whole by the API, so when managed, a section that
  is live but not declared is a change (it would be cleared).
* Write-only values are compared by fingerprint, when the current side knows one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

REPLACE_REASONS = {
    "name": "the endpoint name is its identity",
    "kind": "external ↔ non-external and provisioned ↔ regular cannot change in place",
    "route_optimized": "route_optimized has no update API",
    "description": "description has no update API",
}


@dataclass(frozen=True)
class FieldChange:
    """One difference: where, from what to what, which API group applies it, replace or not."""

    path: str
    old: Any
    new: Any
    group: str
    replace: bool = False

    @property
    def action(self) -> str:
        """``add``, ``remove`` or ``change``."""
        if self.old is None:
            return "add"
        return "remove" if self.new is None else "change"


def diff_endpoint(current: dict[str, Any], desired: dict[str, Any]) -> list[FieldChange]:
    """Every managed difference between two canonical states, in a stable order."""
    changes = _identity(current, desired)
    if desired.get("entities") is not None:  # None: a pay-per-token reference manages none
        changes += _entities(current.get("entities") or {}, desired["entities"])
    changes += _write_only(current.get("write_only"), desired.get("write_only") or {})
    changes += _managed_map("traffic", current.get("traffic"), desired.get("traffic"), "config")
    changes += _managed_map("tags", current.get("tags"), desired.get("tags"), "tags")
    changes += _gateway(current.get("ai_gateway"), desired.get("ai_gateway"))
    notif_old, notif_new = current.get("email_notifications"), desired.get("email_notifications")
    if notif_new is not None and notif_old != notif_new:
        changes.append(FieldChange("email_notifications", notif_old, notif_new, "notifications"))
    return changes


def needs_replace(changes: list[FieldChange]) -> list[str]:
    """The top-level keys whose change forces a replacement."""
    return sorted({c.path.split(".")[0].split("[")[0] for c in changes if c.replace})


def _identity(current: dict[str, Any], desired: dict[str, Any]) -> list[FieldChange]:
    out = []
    for key in ("name", "kind", "route_optimized", "description"):
        new, old = desired.get(key), current.get(key)
        if key in ("route_optimized", "description") and new is None:
            continue  # unmanaged
        if key == "route_optimized":
            old, new = bool(old), bool(new)
        if key == "kind" and ("empty" in (old, new) or new == "pay-per-token"):
            continue
        if old != new:
            out.append(FieldChange(key, old, new, key, replace=True))
    return out


def _entities(current: dict[str, Any], desired: dict[str, Any]) -> list[FieldChange]:
    out = []
    for name in sorted(set(current) | set(desired)):
        path = f"served_entities[{name}]"
        if name not in current or name not in desired:
            out.append(FieldChange(path, current.get(name), desired.get(name), "config"))
            continue
        out.extend(_subset(path, current[name], desired[name], "config"))
    return out


def _subset(path: str, live: Any, want: Any, group: str) -> list[FieldChange]:
    """Changes where ``want`` (declared) differs from ``live``; extra live keys are ignored."""
    if isinstance(want, dict) and isinstance(live, dict):
        out = []
        for key in want:
            out.extend(_subset(f"{path}.{key}", live.get(key), want[key], group))
        return out
    if _same(live, want):
        return []
    return [FieldChange(path, live, want, group)]


def _same(live: Any, want: Any) -> bool:
    """Equal as data; lists compare as multisets (the API does not keep their order)."""
    if isinstance(want, list) and isinstance(live, list):
        return sorted(map(_canonical, want)) == sorted(map(_canonical, live))
    if isinstance(want, dict) and isinstance(live, dict):
        return _canonical(want) == _canonical(live)
    return bool(live == want)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _write_only(current: dict[str, str] | None, desired: dict[str, str]) -> list[FieldChange]:
    if current is None:
        return []  # no record of what was written (e.g. drift without state): cannot compare
    out = []
    for key in sorted(set(current) | set(desired)):
        if current.get(key) != desired.get(key):
            entity, _, field = key.partition(".")
            old = "(hidden)" if key in current else None
            new = "(hidden)" if key in desired else None
            out.append(FieldChange(f"served_entities[{entity}].{field}", old, new, "config"))
    return out


def _managed_map(key: str, live: Any, want: Any, group: str) -> list[FieldChange]:
    if want is None:
        return []
    live = live or {}
    return [
        FieldChange(f"{key}.{k}", live.get(k), want.get(k), group)
        for k in sorted(set(live) | set(want))
        if live.get(k) != want.get(k)
    ]


def _gateway(live: Any, want: Any) -> list[FieldChange]:
    if want is None:
        return []
    live = live or {}
    out = []
    for section in sorted(set(live) | set(want)):
        if not _same(live.get(section), want.get(section)):
            out.append(
                FieldChange(
                    f"ai_gateway.{section}", live.get(section), want.get(section), "ai_gateway"
                )
            )
    return out
