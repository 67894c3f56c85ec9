"""What ``servingops smoke`` prints and writes: text, GitHub annotations, JUnit XML.

Every format has one entry per smoke query: the endpoint's route, and each served
entity when the file says ``per_entity``. The JUnit file (``--junit FILE``) has one
``<testcase>`` per query (``classname`` the endpoint, ``name`` ``route`` or the
entity, ``time`` the latency in seconds) with a ``<failure>`` holding the problem and
the body excerpt, and a ``<skipped>`` one per switched-off endpoint; it is written
with ``xml.etree`` (which escapes ``& < > "``) after characters XML 1.0 forbids even
as references (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF; e.g. an
ANSI escape in an upstream error) are replaced
with ``\\xNN``-style text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from servingops.escape import for_github_lines, for_github_property, for_text
from servingops.model.endpoint import SWITCHED_OFF
from servingops.smoke import SmokeOutcome

__all__ = ["FORMATS", "format_github", "format_text", "junit_xml", "write_junit"]

SUITE = "servingops smoke"
_LF = "\n"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def format_text(outcomes: list[SmokeOutcome]) -> str:
    """``ok   <endpoint/entity>: HTTP 200, 12 ms`` or ``FAIL …`` per query, then counts."""
    lines = [("ok   " if o.ok else "FAIL ") + for_text(o.describe()) for o in outcomes]
    return "\n".join([*lines, _counts(outcomes)]) + "\n"


def format_github(outcomes: list[SmokeOutcome], sources: dict[str, str] | None = None) -> str:
    """An ``::error`` annotation per failed query (on the endpoint's file when ``sources``
    names it), a plain ``ok`` line per passed one, then the counts."""
    files = sources or {}
    lines = []
    for o in outcomes:
        if o.ok:
            lines.append("ok   " + for_text(o.describe()))
            continue
        where = f"file={for_github_property(files[o.endpoint])}," if files.get(o.endpoint) else ""
        title = for_github_property(f"smoke: {_target(o)}")
        message = for_github_lines(o.describe().split(_LF))
        lines.append(f"::error {where}title={title}::{message}")
    return "\n".join([*lines, _counts(outcomes)]) + "\n"


FORMATS: dict[str, Callable[[list[SmokeOutcome], dict[str, str]], str]] = {
    "text": lambda outcomes, _sources: format_text(outcomes),
    "github": format_github,
}


def junit_xml(
    outcomes: list[SmokeOutcome], elapsed_s: float = 0.0, *, skipped: Sequence[str] = ()
) -> bytes:
    """A JUnit XML document (UTF-8 bytes): one ``<testsuite>``, one ``<testcase>`` per query.

    ``elapsed_s`` is the wall-clock time of the whole run (the suite's ``time``).
    ``skipped``: endpoints whose file switches them off (a rate limit of 0), each a
    ``<testcase name="route">`` with ``<skipped>`` saying why.
    """
    failures = sum(not o.ok for o in outcomes)
    tests = str(len(outcomes) + len(skipped))
    attrs = {"name": SUITE, "tests": tests, "failures": str(failures)}
    root = ET.Element("testsuites", {**attrs, "errors": "0", "time": _seconds(elapsed_s)})
    suite = ET.SubElement(root, "testsuite", {**attrs, "errors": "0"})
    suite.set("skipped", str(len(skipped)))
    suite.set("time", _seconds(elapsed_s))
    for name in skipped:
        case = ET.SubElement(suite, "testcase", {"classname": _xml_text(name), "name": "route"})
        ET.SubElement(case, "skipped", {"message": SWITCHED_OFF})
    for o in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _xml_text(o.endpoint),
                "name": _xml_text(o.entity or "route"),
                "time": _seconds(o.latency_ms / 1000),
            },
        )
        if not o.ok:
            failure = ET.SubElement(case, "failure", {"message": _xml_text(o.problem)})
            failure.text = _xml_text(o.describe())
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def write_junit(
    path: str | Path,
    outcomes: list[SmokeOutcome],
    elapsed_s: float = 0.0,
    *,
    skipped: Sequence[str] = (),
) -> None:
    """Write ``junit_xml`` to ``path`` (replaced whole; the folder must exist)."""
    Path(path).write_bytes(junit_xml(outcomes, elapsed_s, skipped=skipped))


def _xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold shown as ``\\xNN``/``\\uNNNN``."""
    return _NOT_XML.sub(lambda m: repr(m.group())[1:-1], text)


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.3f}"


def _target(o: SmokeOutcome) -> str:
    return f"{o.endpoint}/{o.entity}" if o.entity else f"{o.endpoint} (route)"


def _counts(outcomes: list[SmokeOutcome]) -> str:
    failed = sum(not o.ok for o in outcomes)
    return f"{len(outcomes)} smoke quer(ies): {len(outcomes) - failed} passed, {failed} failed"
