"""Findings about endpoint files, collected into a Report and printed in one of three formats.

Text is the compiler shape editors and CI can click::

    endpoints/x.yaml:14:7: error: <what>, got <value> [rule]
      at $.served_entities[0].external_model.provider
      hint: <next step>

``json`` is one object for machines; ``github`` prints workflow annotations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from servingops.escape import (
    for_github_message,
    for_github_property,
    for_json,
    for_text,
    for_text_file,
)
from servingops.redact import show_key
from servingops.yamlsrc import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding: where it is, how bad, what is wrong and what to do."""

    file: str
    line: int
    col: int
    severity: str
    message: str
    rule: str
    json_path: str = "$"
    hint: str = ""


@dataclass
class Report:
    """Every finding of a run, over every file, before anything is printed."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    ignored: int = 0
    """Files in the searched folders that are not endpoint files (not ``*.yaml``/``*.yml``)."""

    def add(self, diags: Iterable[Diagnostic]) -> None:
        """Append findings."""
        self.diagnostics.extend(diags)

    @property
    def errors(self) -> list[Diagnostic]:
        """Findings of severity error."""
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Findings of severity warning."""
        return [d for d in self.diagnostics if d.severity == WARNING]

    def sorted(self) -> list[Diagnostic]:
        """Findings in file, line, column order (stable for golden files)."""
        return sorted(self.diagnostics, key=lambda d: (d.file, d.line, d.col, d.rule, d.message))


def json_path(path: Path) -> str:
    """``('served_entities', 0, 'name')`` -> ``$.served_entities[0].name``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{show_key(part)}"
    return out


def format_text(report: Report) -> str:
    """Compiler-style lines, then a one-line summary; user text goes through ``for_text``."""
    lines: list[str] = []
    for d in report.sorted():
        where = f"{for_text_file(d.file)}:{d.line}:{d.col}"
        lines.append(f"{where}: {d.severity}: {for_text(d.message)} [{for_text(d.rule)}]")
        if d.json_path != "$":
            lines.append(f"  at {for_text(d.json_path)}")
        if d.hint:
            lines.append(f"  hint: {for_text(d.hint)}")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    """One JSON object: summary counts and every finding (strings through ``for_json``)."""
    body = {
        "files": report.files,
        "ignored": report.ignored,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "diagnostics": [for_json(asdict(d)) for d in report.sorted()],
    }
    return json.dumps(body, indent=2) + "\n"


def format_github(report: Report) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…::msg``), then the summary."""
    lines = []
    for d in report.sorted():
        text = f"{d.message} ({d.json_path})" + (f" hint: {d.hint}" if d.hint else "")
        file, title = for_github_property(d.file), for_github_property(d.rule)
        props = f"file={file},line={d.line},col={d.col},title={title}"
        lines.append(f"::{d.severity} {props}::{for_github_message(text)}")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


FORMATTERS: dict[str, Callable[[Report], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}


def _summary(report: Report) -> str:
    e, w = len(report.errors), len(report.warnings)
    line = f"{report.files} file(s) checked: {e} error(s), {w} warning(s)"
    if report.ignored:
        line += f" ({report.ignored} other file(s) ignored: only *.yaml and *.yml files are read)"
    elif not report.files:
        line += " (no *.yaml or *.yml files found)"
    return line
