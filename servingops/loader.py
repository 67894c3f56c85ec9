"""Load endpoint files: find → parse → schema → semantic rules → cross-file rules → specs.

Which files are read, and how, is ``sourcefile``'s policy (the trust boundary).

Every problem in every file is collected into one Report before anything is raised
or printed; a file with errors yields no spec, the others still do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from servingcatalogue import Catalogue, load_catalogue
from servingops.diagnostics import ERROR, Diagnostic, Report
from servingops.model.endpoint import EndpointSpec
from servingops.redact import redact_text, secret_values
from servingops.rules import FILE_RULES
from servingops.rules.context import Ctx
from servingops.sourcefile import FileSearch, find_sources, read_source
from servingops.yamlsrc import Position, YamlDoc, YamlProblem, parse_yaml


@dataclass
class LoadResult:
    """The specs of the valid files and the report over all files."""

    specs: list[EndpointSpec] = field(default_factory=list)
    report: Report = field(default_factory=Report)

    @property
    def ok(self) -> bool:
        """True when no file has an error (warnings allowed)."""
        return not self.report.errors


@dataclass
class _Parsed:
    file: str
    doc: YamlDoc
    valid: bool


def _search_problems(search: FileSearch) -> list[Diagnostic]:
    problems = [_file_problem(str(r.path), r.reason, r.hint) for r in search.refused]
    for path in search.missing:
        problems.append(_file_problem(str(path), "no such file or folder", "check the path"))
    return problems


def load_endpoints(
    paths: Iterable[str | Path],
    *,
    allow_plaintext: bool = False,
    catalogue: Catalogue | None = None,
) -> LoadResult:
    """Load and check every endpoint file under ``paths``."""
    cat = catalogue or load_catalogue()
    search = find_sources(paths)
    result = LoadResult()
    result.report.add(_search_problems(search))
    result.report.files = len(search.files) + len(search.refused)
    result.report.ignored = search.ignored
    files = search.files
    parsed = [p for p in (_guarded(f, cat, allow_plaintext, result.report) for f in files) if p]
    bad_names = {d.file for d in result.report.errors if d.json_path == "$.name"}
    result.report.add(_cross_file([p for p in parsed if p.file not in bad_names]))
    bad = {d.file for d in result.report.errors}
    result.specs = [
        EndpointSpec.from_mapping(p.doc.data, p.file)
        for p in parsed
        if p.valid and p.file not in bad
    ]
    return result


def _guarded(path: Path, cat: Catalogue, allow_plaintext: bool, report: Report) -> _Parsed | None:
    """``_check_file``, but a bug on one file becomes a finding, not a lost run."""
    try:
        return _check_file(path, cat, allow_plaintext, report)
    except Exception as err:  # noqa: BLE001 - reported as a finding for this file
        hint = "this is a bug in servingops: please report it with the file"
        message = f"internal error while checking this file: {type(err).__name__}: {err}"
        report.add([_file_problem(str(path), message, hint)])
        return None


def _check_file(
    path: Path, cat: Catalogue, allow_plaintext: bool, report: Report
) -> _Parsed | None:
    file = str(path)
    try:
        doc = parse_yaml(read_source(path))
    except YamlProblem as err:
        report.add([_file_problem(file, err.message, err.hint, err.pos.line, err.pos.col)])
        return None
    from servingops.schema import check_schema  # jsonschema: loaded only to validate

    found = check_schema(doc, file)
    if not found:
        ctx = Ctx(doc=doc, file=file, catalogue=cat, allow_plaintext=allow_plaintext)
        for rule in FILE_RULES:
            rule(ctx)
        found = ctx.found
    report.add(_without_secrets(found, doc.data))
    return _Parsed(file, doc, valid=not any(d.severity == ERROR for d in found))


def _without_secrets(found: list[Diagnostic], data: Any) -> list[Diagnostic]:
    """``found`` with every plaintext secret of the file masked in messages and hints: a
    YAML alias can carry a ``*_plaintext`` value into any field, whose finding would
    quote it (e.g. an enum error)."""
    secrets = secret_values(data)
    if not secrets:
        return found
    return [
        replace(d, message=redact_text(d.message, secrets), hint=redact_text(d.hint, secrets))
        for d in found
    ]


def check_document(
    data: Any, file: str, *, allow_plaintext: bool = False, catalogue: Catalogue | None = None
) -> list[Diagnostic]:
    """Errors in an in-memory endpoint mapping (no line numbers: positions are unknown)."""
    from servingops.schema import check_schema

    doc = YamlDoc(data=data)
    found = check_schema(doc, file)
    if not found:
        ctx = Ctx(doc, file, catalogue or load_catalogue(), allow_plaintext)
        for rule in FILE_RULES:
            rule(ctx)
        found = ctx.found
    return _without_secrets([d for d in found if d.severity == ERROR], data)


def _cross_file(parsed: list[_Parsed]) -> list[Diagnostic]:
    """Names unique across files; each file named after its endpoint.

    Files whose ``name`` the schema refused are left out by the caller: that finding is
    enough, and an invalid name (200,000 characters, a line break) is no file name to
    suggest.
    """
    out: list[Diagnostic] = []
    first: dict[str, str] = {}
    for p in parsed:
        name = p.doc.data.get("name") if isinstance(p.doc.data, dict) else None
        if not isinstance(name, str):
            continue
        pos = p.doc.where(("name",))
        if name in first:
            out.append(
                _at(
                    p.file,
                    pos,
                    f"endpoint name '{name}' is also used in {first[name]}",
                    "unique-name",
                    "endpoint names are unique in a workspace",
                )
            )
        first.setdefault(name, p.file)
        if Path(p.file).stem != name:
            out.append(
                _at(
                    p.file,
                    pos,
                    f"file name does not match endpoint name '{name}'",
                    "file-name",
                    f"rename the file to {name}{Path(p.file).suffix}",
                )
            )
    return out


def _at(file: str, pos: Position, message: str, rule: str, hint: str) -> Diagnostic:
    return Diagnostic(file, pos.line, pos.col, ERROR, message, rule, "$.name", hint)


def _file_problem(
    file: str, message: str, hint: str = "", line: int = 1, col: int = 1
) -> Diagnostic:
    return Diagnostic(file, line, col, ERROR, message, "yaml", "$", hint)
