"""The YAML layer: values, positions, and refusal of unusable documents."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from servingops.yamlsrc import MAX_NODES, Position, YamlProblem, parse_yaml


def test_positions_are_one_based_for_values_and_keys() -> None:
    doc = parse_yaml("name: a\nsmoke:\n  prompt: hi\n")
    assert doc.where(("smoke", "prompt")) == Position(3, 11)
    assert doc.where(("smoke", "prompt"), key=True) == Position(3, 3)


def test_missing_path_falls_back_to_nearest_ancestor() -> None:
    doc = parse_yaml("name: a\nsmoke:\n  prompt: hi\n")
    assert doc.where(("smoke", "expect", "contains")) == Position(3, 3)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a:\n\tb: 1\n", "YAML syntax error", 2),
        ("", "file has no YAML content", 1),
        ("a: 1\n---\nb: 2\n", "more than one YAML document", 3),
        ("a: !!python/object/apply:os.system [x]\n", "unsupported YAML tag", 1),
        ("a: 1\n  \x07\n", "control characters", 2),
    ],
)
def test_unusable_documents_raise_with_position(text: str, message: str, line: int) -> None:
    with pytest.raises(YamlProblem) as err:
        parse_yaml(text)
    assert message in err.value.message
    assert err.value.pos.line == line


def test_tabs_get_a_hint() -> None:
    with pytest.raises(YamlProblem) as err:
        parse_yaml("a:\n\tb: 1\n")
    assert "tabs" in err.value.hint


def test_alias_bomb_is_capped() -> None:
    layers = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for i, name in enumerate("bcdef"):
        prev = "abcdef"[i]
        layers.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(YamlProblem) as err:
        parse_yaml("\n".join(layers) + "\n")
    assert str(MAX_NODES) in err.value.message


def test_merge_keys_and_small_aliases_work() -> None:
    doc = parse_yaml("base: &b {x: 1, y: 1}\nc:\n  <<: *b\n  y: 2\n")
    assert doc.data["c"] == {"x": 1, "y": 2}


def test_dates_stay_strings() -> None:
    assert parse_yaml("v: 2024-06-01\n").data == {"v": "2024-06-01"}


def test_large_text_is_refused() -> None:
    with pytest.raises(YamlProblem) as err:
        parse_yaml("a: " + "x" * (2 * 1024 * 1024) + "\n")
    assert "too large" in err.value.message


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(YamlProblem) as err:
        parse_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than" in err.value.message


def _parse_in_child(text: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Parse ``text`` in a child process, so a crash of the C parser fails one test only."""
    code = (
        "import sys\n"
        "from servingops.yamlsrc import YamlProblem, parse_yaml\n"
        "try:\n"
        "    parse_yaml(sys.stdin.read())\n"
        "except YamlProblem as err:\n"
        "    print(err.message, err.pos.line, err.pos.col)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        input=text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_flow_nesting_in_a_small_file_is_refused_not_a_crash(opener: str) -> None:
    """30,000 nested flow collections (60-150 KB, under the size cap) used to overflow
    the C stack of libyaml's composer (SIGSEGV): the CI run died with no finding."""
    depth = 30_000
    closer = "]" if opener == "[" else "}"
    done = _parse_in_child("x: " + opener * depth + "1" * (opener != "[") + closer * depth + "\n")
    assert done.returncode == 0, done.stderr[-500:]
    assert "nested more than" in done.stdout


def test_merge_chain_is_expanded_in_linear_time_not_a_hang() -> None:
    """Each mapping merges the previous one twice: 2**24 merge visits if expanded naively
    (the run hung); each mapping's merge is expanded once, so the chain is just 25 keys."""
    lines = ["b0: &b0 {k0: 1}"]
    lines += [f"b{i}: &b{i} {{<<: [*b{i - 1}, *b{i - 1}], k{i}: 1}}" for i in range(1, 25)]
    started = time.monotonic()
    doc = parse_yaml("\n".join(lines) + "\n")
    assert time.monotonic() - started < 5
    assert doc.data["b24"] == {f"k{i}": 1 for i in range(25)}


def test_wide_merge_counts_toward_the_node_budget() -> None:
    """400 merges of a 2,000-key mapping are 800,000 pairs: refused like an alias bomb."""
    base = "base: &b {" + ", ".join(f"k{i}: {i}" for i in range(2000)) + "}\n"
    with pytest.raises(YamlProblem) as err:
        parse_yaml(base + "x: {<<: [" + ", ".join(["*b"] * 400) + "]}\n")
    assert str(MAX_NODES) in err.value.message


@pytest.mark.parametrize(
    "text",
    ["a: &a {<<: *a}\n", "a: &a {b: {<<: *a}}\n", "a: &a {<<: [{x: 1}, *a]}\n"],
)
def test_a_merge_of_its_own_mapping_is_refused_not_a_recursion_error(text: str) -> None:
    with pytest.raises(YamlProblem) as err:
        parse_yaml(text)
    assert "merge" in err.value.message
    assert err.value.pos.line == 1


@pytest.mark.parametrize("digits", ["9" * 5000, "0x" + "f" * 5000, "1_" * 4400 + "1"])
def test_an_integer_too_long_to_read_gets_a_users_hint_not_pythons(digits: str) -> None:
    """Python refuses to convert more than 4,300 digits and says to call
    ``sys.set_int_max_str_digits()``: advice for a programmer, not for the file's author.
    A hexadecimal one has no such limit, and the schema's message quoting it failed
    (an internal error at 1:1)."""
    with pytest.raises(YamlProblem) as err:
        parse_yaml(f"smoke:\n  max_tokens: {digits}\n")
    assert (err.value.pos.line, err.value.pos.col) == (2, 15)
    assert "sys." not in err.value.message + err.value.hint
    assert "too long" in err.value.message and "64-bit" in err.value.hint
