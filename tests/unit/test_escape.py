"""Echoed user text cannot forge output: one escaping function per format, used everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servingops.diagnostics import FORMATTERS, Diagnostic, Report
from servingops.diff import FieldChange
from servingops.escape import (
    for_github_message,
    for_github_property,
    for_json,
    for_markdown_code,
    for_text,
)
from servingops.loader import load_endpoints
from servingops.model.kinds import ChangeGroup
from servingops.review import FORMATS, EndpointChanges

FORGED = "x\nother.yaml:1:1: error: forged [yaml]"
CONTROL = "\x1b[31mred\x1b[0m\r\x00\x07\x85\u2028\u2029\u202e\u2066"


def test_for_text_shows_every_control_character_as_an_escape() -> None:
    assert for_text(FORGED) == "x\\nother.yaml:1:1: error: forged [yaml]"
    assert for_text(CONTROL) == (
        "\\x1b[31mred\\x1b[0m\\r\\x00\\x07\\x85\\u2028\\u2029\\u202e\\u2066"
    )
    assert for_text("café ✓ 日本 \\ tab") == "café ✓ 日本 \\ tab"


def test_for_json_escapes_keys_and_values_recursively() -> None:
    assert for_json({"a\nb": ["c\x1b", 1, None]}) == {"a\\nb": ["c\\x1b", 1, None]}


def test_github_encoding_builds_on_text_escaping() -> None:
    assert for_github_message("50%\nx") == "50%25\\nx"
    assert for_github_property("a:b,c\x1b") == "a%3Ab%2Cc\\x1b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("``x``", "``` ``x`` ```"),
        ("a | b", "`a \\| b`"),
        ("l1\nl2", "`l1\\nl2`"),
    ],
)
def test_markdown_code_span_holds_backticks_and_pipes(text: str, expected: str) -> None:
    assert for_markdown_code(text) == expected


def _hostile_report() -> Report:
    report = Report(files=1)
    report.add(
        [Diagnostic(f"end\npoints/{FORGED}.yaml", 3, 1, "error", f"key '{FORGED}{CONTROL}'", "r")]
    )
    return report


@pytest.mark.parametrize("fmt", sorted(FORMATTERS))
def test_no_format_prints_a_raw_control_character(fmt: str) -> None:
    out = FORMATTERS[fmt](_hostile_report())
    lines = out.splitlines()
    assert not any(line.startswith("other.yaml") for line in lines), out
    assert all(c == "\n" or c.isprintable() for c in out), repr(out)
    if fmt == "json":
        message = json.loads(out)["diagnostics"][0]["message"]
        assert "\n" not in message and "\\n" in message


def test_unknown_key_with_a_line_break_cannot_forge_a_finding(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text(
        'name: chat\ntier: external\ntask: llm/v1/chat\n"x\\nother.yaml:1:1: error: forged": 1\n'
        '"\\e[2Jwipe\\u202e": 2\n'
    )
    report = load_endpoints([path]).report
    for fmt, render in FORMATTERS.items():
        out = render(report)
        assert not any(ln.startswith("other.yaml") for ln in out.splitlines()), (fmt, out)
        assert all(c == "\n" or c.isprintable() for c in out), (fmt, out)
    text = FORMATTERS["text"](report)
    assert "unknown key 'x\\nother.yaml:1:1: error: forged'" in text
    assert "unknown key '\\x1b[2Jwipe\\u202e'" in text


def _change(path: str, new: str) -> FieldChange:
    return FieldChange(path=path, old=None, new=new, group=ChangeGroup.TAGS)


def test_review_markdown_escapes_backticks_and_pipes_in_names_and_paths() -> None:
    item = EndpointChanges("evil`|name", "update", [_change("tags.a|b`c", "v|`")])
    out = FORMATS["markdown"]([item])
    row = out.splitlines()[2]
    assert row.startswith("| ``evil`\\|name`` | update | ")
    assert row.count(" | ") == 2 and row.endswith(" |"), row


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_review_formats_print_no_raw_control_character(fmt: str) -> None:
    item = EndpointChanges(f"n{FORGED}", "update", [_change(f"tags.{FORGED}", CONTROL)])
    out = FORMATS[fmt]([item])
    assert all(c == "\n" or c.isprintable() for c in out), repr(out)
    assert not any(ln.startswith("other.yaml") for ln in out.splitlines())


@pytest.mark.parametrize(
    "char",
    ["\u034f", "\u115f", "\u1160", "\u17b4", "\u180b", "\u3164", "\ufe0f", "\uffa0", "\U000e0100"],
)
def test_invisible_letters_and_marks_are_escaped_too(char: str) -> None:
    """Unicode's default-ignorable code points that are letters or marks (Hangul fillers,
    variation selectors, the combining grapheme joiner) print as nothing, so a key
    ``tier<U+3164>`` would read as ``'tier'`` in "unknown key 'tier'"."""
    code = ord(char)
    expected = f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    assert for_text(f"tier{char}") == "tier" + expected


def test_an_invisible_letter_in_a_key_is_visible_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text('name: chat\n"tier\u3164": external\ntask: llm/v1/chat\n', encoding="utf-8")
    report = load_endpoints([path]).report
    for name, render in FORMATTERS.items():
        out = render(report)
        assert "\u3164" not in out, name
        assert "tier\\u3164" in out or "tier\\\\u3164" in out, name


def test_a_file_name_cannot_move_a_finding_to_another_file_or_line(tmp_path: Path) -> None:
    """Git allows ``:`` in file names: ``x.yaml:9:1: error: ok [y] z.yaml`` printed raw
    made editors and CI problem matchers place the finding at ``x.yaml`` line 9."""
    folder = tmp_path / "endpoints"
    folder.mkdir()
    (folder / "x.yaml:9:1: error: all good [yaml] z.yaml").write_text("name: [\n")
    out = FORMATTERS["text"](load_endpoints([folder]).report)
    first = out.splitlines()[0]
    assert first.startswith(
        f"{folder}/x.yaml\\x3a9\\x3a1\\x3a error\\x3a all good [yaml] z.yaml:2:1: "
    )
