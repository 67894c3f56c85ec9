"""The YAML layer: values, positions, and refusal of unusable documents."""

from __future__ import annotations

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
