"""Live endpoints that no file declares, for ``servingops drift``.

Each one is reported with one of three verdicts, read from the ownership tag
(``servingops.model.rest.OWNER_TAG``, ``servingops-stack: <project>/<stack>``):

* ``orphan``: tagged with this stack: ours, but its file is gone (``pulumi up`` of
  this stack deletes it only while it is still in the stack's state);
* ``foreign``: tagged with another stack: someone else's, leave it alone;
* ``unmanaged``: no tag: made by hand, or by another tool.

Never reported: the pay-per-token ``databricks-*`` endpoints every workspace has, and
whatever an ``IgnoreRules`` matches (``--ignore NAME_PATTERN``, ``--ignore-tag KEY[=VALUE]``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from servingops.errors import UsageError
from servingops.model.rest import OWNER_TAG, owner_of, tags_from_api
from servingops.review import UNDECLARED, EndpointChanges

__all__ = [
    "SYSTEM_PREFIX",
    "UNDECLARED",
    "IgnoreRules",
    "stack_owner",
    "undeclared_endpoints",
]

SYSTEM_PREFIX = "databricks-"
"""Names of the pay-per-token system endpoints (Foundation Model APIs) of a workspace."""
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
"""The project file names Pulumi reads, in its order."""
DEFAULT_STACK = "local"
"""The stack ``make demo`` uses when ``SERVINGOPS_STACK`` is not set."""


@dataclass(frozen=True)
class IgnoreRules:
    """Undeclared endpoints not to report.

    ``names`` are shell-style patterns on the endpoint name (``fnmatch``, case-sensitive:
    ``team-a-*``); ``tags`` are ``KEY`` (any value) or ``KEY=VALUE`` (that value).
    """

    names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def ignores(self, detail: Mapping[str, Any]) -> bool:
        """True when the endpoint's name or one of its tags matches a rule."""
        name = str(detail.get("name") or "")
        if any(fnmatchcase(name, pattern) for pattern in self.names):
            return True
        live = tags_from_api(detail.get("tags"))
        for rule in self.tags:
            key, has_value, value = rule.partition("=")
            if key in live and (not has_value or live[key] == value):
                return True
        return False


def undeclared_endpoints(
    listing: Iterable[Mapping[str, Any]],
    declared: Iterable[str],
    *,
    stack: str | None,
    ignore: IgnoreRules | None = None,
) -> list[EndpointChanges]:
    """The live endpoints of ``listing`` (``GET /serving-endpoints`` items) not in
    ``declared``, in name order, as ``orphan``/``foreign``/``unmanaged`` items.

    ``stack`` is this stack's ownership-tag value (``<project>/<stack>``); None when
    unknown, and then a tagged endpoint counts as ``foreign``.
    """
    names = set(declared)
    rules = ignore or IgnoreRules()
    items = []
    for detail in sorted(listing, key=lambda d: str(d.get("name") or "")):
        name = str(detail.get("name") or "")
        if not name or name in names or name.startswith(SYSTEM_PREFIX) or rules.ignores(detail):
            continue
        items.append(_classify(name, owner_of(detail), stack))
    return items


def _classify(name: str, owner: str | None, stack: str | None) -> EndpointChanges:
    if owner is None:
        note = f"no {OWNER_TAG} tag, declared in no file: made by hand or by another tool"
        return EndpointChanges(name, "unmanaged", note=note)
    if owner == stack:
        note = f"{OWNER_TAG}={owner} (this stack), but declared in no file"
        return EndpointChanges(name, "orphan", note=note, owner=owner)
    note = f"{OWNER_TAG}={owner}: another stack's endpoint"
    return EndpointChanges(name, "foreign", note=note, owner=owner)


def stack_owner(
    value: str | None,
    *,
    project_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """This stack's ownership-tag value ``<project>/<stack>``.

    ``value`` is ``--stack``: ``PROJECT/STACK`` as is, or a bare ``STACK`` prefixed with
    the ``name`` of ``project_file`` (default: ``./Pulumi.yaml``, else ``./Pulumi.yml``,
    the two names Pulumi reads). Without it: the project of ``project_file`` and
    ``$SERVINGOPS_STACK`` (default ``local``, as ``make demo``); None when there is no
    project file. Raises ``UsageError`` for a bare stack name without a project file, and
    for a ``value`` that is empty or has an empty part (``--stack "$STACK"`` with the
    variable unset must not silently check the default stack).
    """
    env = os.environ if env is None else env
    if value is not None:
        _check_stack_flag(value)
    if value and "/" in value:
        return value
    project_file = project_file or _project_file()
    project = _project_name(project_file)
    if value:
        if project is None:
            raise UsageError(
                f"--stack {value}: no {project_file} here to take the project name from",
                hint="pass --stack PROJECT/STACK (the value of the servingops-stack tag)",
            )
        return f"{project}/{value}"
    if project is None:
        return None
    return f"{project}/{env.get('SERVINGOPS_STACK') or DEFAULT_STACK}"


def _check_stack_flag(value: str) -> None:
    """Refuse a ``--stack`` value that is blank or has a blank ``/``-separated part."""
    if any(not part.strip() for part in value.split("/")):
        raise UsageError(
            f"--stack {value!r}: the stack (and project) name must not be empty",
            hint="pass --stack STACK or --stack PROJECT/STACK (is the variable you pass set?)",
        )


def _project_file() -> Path:
    """``Pulumi.yaml`` in the current folder, else ``Pulumi.yml`` if only that exists."""
    for name in PROJECT_FILES:
        if Path(name).is_file():
            return Path(name)
    return Path(PROJECT_FILES[0])


def _project_name(project_file: Path) -> str | None:
    if not project_file.is_file():
        return None
    try:
        doc = yaml.safe_load(project_file.read_text("utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    name = doc.get("name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) and name else None
