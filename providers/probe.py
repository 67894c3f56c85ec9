"""A tiny dynamic resource that keeps one value in a local JSON file.

It exists only to prove the real engine path end to end (tests/e2e/test_engine_proof.py):
program -> language host -> engine -> dynamic-provider plugin -> this provider. The
provider object holds no state at all, so it is pickled by reference into the stack.
Importing this module has no side effects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

MANAGED = ("path", "value")


def read_value(path: str) -> str | None:
    """The value stored in the probe file at ``path``, or None if the file is gone."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return str(data["value"])


def write_value(path: str, value: str) -> None:
    """Store ``value`` in the probe file at ``path`` (parent folder must exist)."""
    Path(path).write_text(json.dumps({"value": value}) + "\n", encoding="utf-8")


def _outs(path: str, value: str) -> dict[str, Any]:
    return {"path": path, "value": value}


class ProbeProvider(ResourceProvider):
    """Create, read, diff, update and delete one JSON file holding ``{"value": ...}``."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Write the file; its path is the resource id."""
        write_value(props["path"], props["value"])
        return CreateResult(id_=props["path"], outs=_outs(props["path"], props["value"]))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Report the live value; an empty id tells the engine the file is gone."""
        value = read_value(id_)
        if value is None:
            return ReadResult(id_="", outs={})
        live = _outs(id_, value)
        return ReadResult(id_=id_, outs=live, inputs=live)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare live outputs with the program's inputs; a new path means a new file."""
        changed = any(olds.get(key) != news.get(key) for key in MANAGED)
        replaces = ["path"] if olds.get("path") != news.get("path") else []
        return DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Rewrite the value in place and return every output (update replaces them all)."""
        write_value(news["path"], news["value"])
        return UpdateResult(outs=_outs(news["path"], news["value"]))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Remove the file; a file already gone is fine."""
        Path(id_).unlink(missing_ok=True)


class Probe(Resource, module="probe", name="Probe"):
    """A probe file managed by the engine; ``value`` is read back from the file."""

    path: pulumi.Output[str]
    value: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        path: pulumi.Input[str],
        value: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(ProbeProvider(), name, {"path": path, "value": value}, opts)
