"""The context a semantic rule runs in, and entity-name helpers shared by rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from servingcatalogue import Catalogue
from servingops.diagnostics import ERROR, WARNING, Diagnostic, json_path
from servingops.model.endpoint import default_entity_name
from servingops.model.fields import is_secret_reference
from servingops.yamlsrc import Path, YamlDoc

MAX_ENTITIES = 15


@dataclass
class Ctx:
    """What a rule sees: the file, the options and the catalogue; collects findings."""

    doc: YamlDoc
    file: str
    catalogue: Catalogue
    allow_plaintext: bool = False
    found: list[Diagnostic] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        """The parsed endpoint mapping."""
        value: dict[str, Any] = self.doc.data
        return value

    def error(self, path: Path, message: str, rule: str, hint: str = "", key: bool = False) -> None:
        """Record an error at ``path``."""
        self._add(ERROR, path, message, rule, hint, key)

    def warn(self, path: Path, message: str, rule: str, hint: str = "", key: bool = False) -> None:
        """Record a warning at ``path``."""
        self._add(WARNING, path, message, rule, hint, key)

    def _add(self, sev: str, path: Path, msg: str, rule: str, hint: str, key: bool) -> None:
        pos = self.doc.where(path, key=key)
        self.found.append(
            Diagnostic(self.file, pos.line, pos.col, sev, msg, rule, json_path(path), hint)
        )

    def entities(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Each served entity with its path."""
        for i, entity in enumerate(self.data.get("served_entities") or []):
            yield ("served_entities", i), entity

    def external_models(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Each external_model block with its path."""
        for path, entity in self.entities():
            if isinstance(entity.get("external_model"), dict):
                yield (*path, "external_model"), entity["external_model"]


def entity_name(entity: dict[str, Any]) -> str:
    """The entity's declared name, or its server default."""
    return str(entity.get("name") or default_entity_name(entity))


def spaced_reference(key: str, value: Any) -> tuple[str, str] | None:
    """(message, hint) when ``value`` is a ``{{secrets/…}}`` reference only once stripped.

    A ``|`` or ``>`` block keeps the trailing newline, and the control plane gets the
    string as is, so the reference would not resolve. None for anything else.
    """
    if not isinstance(value, str) or is_secret_reference(value):
        return None
    if not is_secret_reference(value.strip()):
        return None
    return (
        f"'{key}' holds a secret reference with surrounding whitespace or a line break; "
        "it would be sent as is and not resolve",
        f'write it on one line: {key}: "{value.strip()}" '
        "(a `|` or `>` block keeps the trailing newline)",
    )
