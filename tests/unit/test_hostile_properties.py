"""Property test: hostile mappings and keys never break the loader's promises.

Hypothesis builds endpoint files from a valid one by planting hostile keys and values
(control, bidi, zero-width and look-alike characters, forged finding lines, huge and
fractional numbers, nested junk) at every level, and hides a fresh secret in a
credential field. Whatever it builds:

* no traceback: ``load_endpoints`` returns a report;
* bounded: each file is checked in under 2 s and 64 MB of Python allocations;
* every finding names the file and a line/column >= 1;
* no output format prints a control, format or separator character, and no line of
  the text output can pass for a finding of another file;
* the secret value is echoed nowhere, in any form.
"""

from __future__ import annotations

import copy
import json
import time
import tracemalloc
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servingops.diagnostics import FORMATTERS, Report
from servingops.loader import load_endpoints

BASE: dict[str, Any] = {
    "name": "chat",
    "tier": "external",
    "task": "llm/v1/chat",
    "served_entities": [
        {
            "name": "gpt",
            "external_model": {
                "provider": "openai",
                "name": "gpt-4o-mini",
                "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
            },
        }
    ],
    "tags": {"team": "a"},
}
PLACES: list[tuple[str | int, ...]] = [
    (),
    ("served_entities", 0),
    ("served_entities", 0, "external_model"),
    ("served_entities", 0, "external_model", "openai_config"),
    ("tags",),
]
HOSTILE_CHARS = (
    "\n\r\t\x00\x07\x1b\x7f\x85\u2028\u2029\u202e\u2066\u200b\u200d\ufeff"
    "\u0430\u0435\u043e\uff1a\u2013\u201c\u201d`|:,%#&*!'\"{}[]\\"
)
FORGED = st.sampled_from(
    ["\nother.yaml:1:1: error: forged [yaml]", "\n::error file=x::forged", "\x1b[2J"]
)
hostile_text = st.one_of(
    FORGED,
    st.text(st.sampled_from(HOSTILE_CHARS) | st.characters(exclude_categories=["Cs"]), max_size=24),
)
leaf = st.one_of(
    hostile_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
value = st.recursive(
    leaf,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(hostile_text, kids, max_size=3),
    max_leaves=8,
)
SECRET_SLOTS = [
    ("served_entities", 0, "external_model", "openai_config", "openai_api_key_plaintext"),
    ("served_entities", 0, "external_model", "openai_config", "openai_api_key"),
    ("served_entities", 0, "environment_vars", "OPENAI_API_KEY"),
    ("served_entities", 0, "external_model", "openai_config", "openai_api_key_plaintext\n"),
]
HOSTILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@st.composite
def hostile_endpoints(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        target = _at(data, draw(st.sampled_from(PLACES)))
        target[draw(hostile_text)] = draw(value)
    secret = "sk-" + draw(
        st.text(
            "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=12, max_size=24
        )
    )
    *parents, key = draw(st.sampled_from(SECRET_SLOTS))
    _at(data, tuple(parents), create=True)[key] = secret
    return data, secret


def _at(data: Any, path: tuple[str | int, ...], *, create: bool = False) -> Any:
    for part in path:
        if create and isinstance(part, str) and part not in data:
            data[part] = {}
        data = data[part]
    return data


def _outputs(report: Report) -> dict[str, str]:
    return {name: render(report) for name, render in FORMATTERS.items()}


def _check_promises(path: Path, report: Report, secret: str) -> None:
    for d in report.diagnostics:
        assert d.file == str(path) and d.line >= 1 and d.col >= 1, d
    for name, out in _outputs(report).items():
        bad = [c for c in out if c != "\n" and unicodedata.category(c) in UNSAFE]
        assert not bad, (name, bad)
        for form in (secret, json.dumps(secret)[1:-1]):
            assert form not in out, (name, out)
    lines = _outputs(report)["text"].splitlines()
    for line in lines[:-1]:
        assert line.startswith((f"{path}:", "  ")), line


@HOSTILE
@given(hostile_endpoints())
def test_hostile_mappings_keep_every_promise(
    tmp_path_factory: Any, case: tuple[dict[str, Any], str]
) -> None:
    data, secret = case
    path = Path(tmp_path_factory.mktemp("hostile")) / "chat.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    tracemalloc.start()
    start = time.monotonic()
    try:
        report = load_endpoints([path]).report
        elapsed = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0, elapsed
    assert peak < 64 * 1024 * 1024, peak
    _check_promises(path, report, secret)
