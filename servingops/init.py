"""``servingops init DIR``: write a working servingops project into another repository.

The files come from package data (``servingops/templates/project``, read with
``importlib.resources``), so an installed wheel is all it needs:

* ``Pulumi.yaml`` and ``__main__.py`` (the program is ``providers.program`` from the
  installed package), ``Pulumi.prod.yaml`` (the stack the CI templates deploy, with the
  prod policy), ``requirements.txt`` (the servingops wheel by path: never resolved on
  a public index);
* ``endpoints/chat.yaml`` (one example, with the ``yaml-language-server`` modeline),
  ``schemas/*.schema.json`` (copies of the schemas this version validates with, for
  editors), ``policies/dev.yaml`` and ``policies/prod.yaml``;
* ``.pre-commit-config.yaml``, ``.gitignore``, GitHub Actions workflows (``pr.yml``,
  ``main.yml``, ``drift.yml``) and ``.gitlab-ci.yml``.

Template names start ``dot-`` where the file starts with ``.`` (dotfiles are awkward as
package data) and end ``.tmpl`` where the file is Python (so it is not a module of
ours). ``__PROJECT__``, ``__VERSION__`` and ``__PULUMI_VERSION__`` are filled in.
Nothing is written when a file exists, unless ``force``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from servingops import __version__
from servingops.errors import ToolError
from servingops.schemafile import ENDPOINT_SCHEMA, POLICY_SCHEMA, schema_text

__all__ = ["PULUMI_VERSION", "ProjectFile", "init_project", "project_files"]

PULUMI_VERSION = metadata.version("pulumi")
"""The Pulumi CLI the templates install: the version of the Python SDK we depend on
(pinned in pyproject.toml; the CLI must match it, see README "The Pulumi engine")."""

_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_NAME_MAX = 100
"""Pulumi: "project names are limited to 100 characters"."""


@dataclass(frozen=True)
class ProjectFile:
    """One file of a new project: where it goes (relative, POSIX) and its text."""

    path: str
    text: str


def project_files(project: str) -> list[ProjectFile]:
    """Every file ``init`` writes for a project named ``project``, in path order."""
    values = {
        "__PROJECT__": project,
        "__VERSION__": __version__,
        "__PULUMI_VERSION__": PULUMI_VERSION,
    }
    files = [
        ProjectFile(_target(rel), _fill(node.read_text("utf-8"), values))
        for rel, node in _walk(resources.files("servingops.templates") / "project", ())
    ]
    for schema in (ENDPOINT_SCHEMA, POLICY_SCHEMA):
        files.append(ProjectFile(f"schemas/{schema}", schema_text(schema)))
    return sorted(files, key=lambda f: f.path)


def init_project(
    directory: str | Path, *, name: str | None = None, force: bool = False
) -> list[Path]:
    """Write the project into ``directory`` (created if missing); return the written paths.

    Raises ``ToolError`` (exit 1) naming every file that exists already (nothing is
    written), unless ``force``; when ``directory`` is empty (an unset ``$DIR``: say
    ``.`` for the current folder) or it or a folder it needs is a file; and for
    a ``name`` Pulumi would refuse (letters, digits, ``-``, ``_`` and ``.`` only, at most
    100 characters).
    """
    if not str(directory):
        raise ToolError("the folder to write into is empty", hint="give it, e.g. `init .`")
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ToolError(f"{root} is not a folder", hint="give the folder to create the project in")
    if name is not None and (not name or _NAME.search(name) or len(name) > _NAME_MAX):
        raise ToolError(
            f"'{name}' is not a Pulumi project name",
            hint=f"use letters, digits, '-', '_' and '.', at most {_NAME_MAX} characters",
        )
    files = project_files(name or project_name(root))
    _refuse_blocked_folders(root, files)
    existing = [f.path for f in files if (root / f.path).exists()]
    if existing and not force:
        raise ToolError(
            f"{root}: would overwrite {', '.join(existing)}",
            hint="move them away, or re-run with --force to overwrite them",
        )
    return [_write(root / item.path, item.text) for item in files]


def _write(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` (folders created); ``ToolError`` naming it on failure."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    except OSError as err:
        reason = err.strerror or str(err)
        raise ToolError(f"cannot write {target}: {reason}", hint="check the folder") from None
    return target


def _refuse_blocked_folders(root: Path, files: list[ProjectFile]) -> None:
    """Raise ``ToolError`` when a folder the project needs (``endpoints``, ``.github`` …)
    exists as a file: ``--force`` replaces files, never a file by a folder."""
    folders = {root / parent for f in files for parent in PurePosixPath(f.path).parents}
    for folder in sorted(folders):
        if folder.exists() and not folder.is_dir():
            raise ToolError(
                f"{folder} is a file, where the project needs a folder",
                hint="move it away and run init again",
            )


def project_name(directory: Path) -> str:
    """A Pulumi project name from the folder's name (letters, digits, ``_ . -``; at most
    100 characters). ``Pulumi.yaml`` quotes it, so a folder ``2026`` stays a string."""
    cleaned = _NAME.sub("-", directory.resolve().name)[:_NAME_MAX].strip("-.")
    return cleaned or "endpoints"


def _walk(
    node: Traversable, prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__" or child.name.endswith(".pyc"):
            continue
        if child.is_dir():
            yield from _walk(child, (*prefix, child.name))
        else:
            yield (*prefix, child.name), child


def _target(rel: tuple[str, ...]) -> str:
    parts = ["." + p.removeprefix("dot-") if p.startswith("dot-") else p for p in rel]
    parts[-1] = parts[-1].removesuffix(".tmpl")
    return str(PurePosixPath(*parts))


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text
