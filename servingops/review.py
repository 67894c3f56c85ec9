"""Render endpoint changes for people (a PR comment, a terminal) and machines (JSON).

A plan or drift report is a list of ``EndpointChanges``; each change is one line::

    ~ support-chat  (update in place)
        ~ traffic.gpt: 90 → 50
        + tags.owner: 'ml-infra'
        ~ served_entities[gpt].external_model.openai_config.openai_api_key_plaintext: (hidden)

Secrets never appear: write-only values are already fingerprints shown as (hidden),
and any value under a credential-named key is hidden here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from servingops.diff import REPLACE_REASONS, FieldChange, needs_replace
from servingops.escape import (
    for_github_lines,
    for_github_property,
    for_json,
    for_markdown_code,
    for_text,
)
from servingops.model.fields import MASK
from servingops.redact import is_secret_key, redact_payload, show_value

SYMBOL = {"add": "+", "remove": "-", "change": "~"}


@dataclass
class EndpointChanges:
    """The changes of one endpoint; ``verdict`` is create, delete, replace, update or same."""

    name: str
    verdict: str
    changes: list[FieldChange] = field(default_factory=list)
    note: str = ""
    owner: str | None = None
    """The ownership tag of a live endpoint declared in no file (``servingops.unmanaged``)."""
    source: str = ""
    """The endpoint file, when one declares it (GitHub annotations point at it)."""

    @classmethod
    def from_changes(cls, name: str, changes: list[FieldChange]) -> EndpointChanges:
        """Classify a diff: replace if any change forces it, update if any, else same."""
        if not changes:
            return cls(name, "same")
        replaced = needs_replace(changes)
        if replaced:
            reasons = "; ".join(REPLACE_REASONS.get(k, k) for k in replaced)
            return cls(name, "replace", changes, note=reasons)
        return cls(name, "update", changes)


def _value(change: FieldChange, value: Any) -> str:
    *above, leaf = change.path.split(".")
    parent = above[-1] if above else None
    if value == MASK:
        return MASK
    if isinstance(value, dict | list):
        shown = redact_payload(value, _parent=leaf)  # env vars: their names say which hide
        text = json.dumps(shown, sort_keys=True, separators=(",", ":"))
        return text if len(text) <= 120 else text[:119] + "…"
    return show_value(value, secret=is_secret_key(leaf, parent), limit=80)


def _line(change: FieldChange) -> str:
    steps = f"  [{change.note}]" if change.note else ""
    return _change_text(change) + steps


def _change_text(change: FieldChange) -> str:
    sym = SYMBOL[change.action]
    if change.action == "add":
        return f"{sym} {change.path}: {_value(change, change.new)}"
    if change.action == "remove":
        return f"{sym} {change.path} (was {_value(change, change.old)})"
    return f"{sym} {change.path}: {_value(change, change.old)} → {_value(change, change.new)}"


HEADLINE = {
    "create": "+ {name}  (create)",
    "delete": "- {name}  (delete)",
    "replace": "± {name}  (replace: {note})",
    "update": "~ {name}  (update in place)",
    "same": "= {name}  (no changes)",
    "missing": "! {name}  ({note})",
    "orphan": "? {name}  (orphan: {note})",
    "foreign": "? {name}  (foreign: {note})",
    "unmanaged": "? {name}  (unmanaged: {note})",
}
UNDECLARED = frozenset({"orphan", "foreign", "unmanaged"})
"""Verdicts of a live endpoint declared in no file (see ``servingops.unmanaged``)."""
IN_HEADLINE = frozenset({"replace", "missing", "orphan", "foreign", "unmanaged"})
"""Verdicts whose note is part of the headline."""


def format_text(items: list[EndpointChanges]) -> str:
    """Terminal summary: one headline per endpoint, one line per change, then counts."""
    lines = []
    for item in items:
        head = HEADLINE[item.verdict].format(name=item.name, note=item.note)
        lines.append(for_text(head))
        lines.extend(f"    {for_text(_line(c))}" for c in item.changes)
        if item.note and item.verdict not in IN_HEADLINE:
            lines.append(f"    note: {for_text(item.note)}")
    lines.append(_counts(items))
    return "\n".join(lines) + "\n"


def format_markdown(items: list[EndpointChanges]) -> str:
    """A PR comment: a table of endpoints and a bullet per change."""
    lines = ["| endpoint | verdict | changes |", "|---|---|---|"]
    for item in items:
        summary = "<br>".join(for_markdown_code(_line(c)) for c in item.changes)
        note = for_markdown_code(item.note) if item.verdict in UNDECLARED and item.note else ""
        summary = summary or note or "–"
        lines.append(f"| {for_markdown_code(item.name)} | {item.verdict} | {summary} |")
    return "\n".join(lines) + f"\n\n{_counts(items)}\n"


def format_json(items: list[EndpointChanges]) -> str:
    """Machine-readable: every endpoint with its verdict and changes (values redacted)."""
    body = [
        {
            "endpoint": i.name,
            "verdict": i.verdict,
            "note": i.note,
            **({"owner": i.owner} if i.owner is not None else {}),
            "changes": [
                {
                    "path": c.path,
                    "action": c.action,
                    "group": c.group.value,
                    "replace": c.replace,
                    "steps": c.note,
                    "old": _value(c, c.old),
                    "new": _value(c, c.new),
                }
                for c in i.changes
            ],
        }
        for i in items
    ]
    return json.dumps({"endpoints": for_json(body)}, indent=2) + "\n"


def format_github(items: list[EndpointChanges]) -> str:
    """GitHub Actions annotations: one ``::warning`` per endpoint that is not the same
    (on its file when one declares it), its changes in the message; then the counts."""
    lines = []
    for item in items:
        if item.verdict == "same":
            continue
        text = [HEADLINE[item.verdict].format(name=item.name, note=item.note)]
        text += [_line(c) for c in item.changes]
        where = f"file={for_github_property(item.source)}," if item.source else ""
        title = for_github_property(f"{item.verdict}: {item.name}")
        lines.append(f"::warning {where}title={title}::{for_github_lines(text)}")
    lines.append(_counts(items))
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[list[EndpointChanges]], str]] = {
    "text": format_text,
    "markdown": format_markdown,
    "json": format_json,
    "github": format_github,
}


def _counts(items: list[EndpointChanges]) -> str:
    tally: dict[str, int] = {}
    for item in items:
        tally[item.verdict] = tally.get(item.verdict, 0) + 1
    parts = [f"{n} {v}" for v, n in sorted(tally.items())]
    return f"{len(items)} endpoint(s): " + (", ".join(parts) or "none")
