"""The offline model's pieces: instruction finding, hashed sentences, limits, tokenizer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plane.inference.model import apply_limits, compose_reply, find_instruction, hashed_sentence
from plane.inference.tokens import count_tokens, split_pieces


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Reply with the single word OK.", "OK"),
        ("Say `ls -la`", "ls -la"),
        ("Just say banana.", "banana"),
        ("Say 3.14.", "3.14"),
        ("Say first.\nSay second.", "second"),
        ("What would you say about cats?", None),
        ("Respond with a poem", None),
        ("Saying hello is nice", None),
    ],
)
def test_find_instruction(prompt: str, expected: str | None) -> None:
    assert find_instruction(prompt) == expected


def test_hashed_sentence_is_stable_and_key_dependent() -> None:
    assert hashed_sentence("k") == hashed_sentence("k")
    assert len({hashed_sentence(f"k{i}") for i in range(20)}) > 15
    assert hashed_sentence("k").endswith(".")


def test_compose_reply_uses_seed_and_index_only_without_instruction() -> None:
    assert compose_reply("Say hi", "a", 0) == compose_reply("Say hi", "b", 3) == "hi"
    assert compose_reply("Tell me", "a", 0) != compose_reply("Tell me", "b", 0)
    assert compose_reply("Tell me", "a", 0) != compose_reply("Tell me", "a", 1)


def test_apply_limits_prefers_the_earliest_stop() -> None:
    assert apply_limits("one, two; three", None, [";", ","]) == ("one", "stop")


def test_apply_limits_truncates_to_max_tokens() -> None:
    assert apply_limits("a b c d", 2, []) == ("a b", "length")
    assert apply_limits("a b", 2, []) == ("a b", "stop")


def test_count_tokens_counts_words_and_punctuation() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("") == 0


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_split_pieces_is_lossless_and_one_piece_per_token(text: str) -> None:
    pieces = split_pieces(text)
    assert "".join(pieces) == text
    assert len(pieces) == max(count_tokens(text), 1 if text else 0)
