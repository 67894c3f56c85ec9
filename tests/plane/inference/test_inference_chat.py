"""Offline chat answers: §9 shape, smoke prompts, determinism, limits, n choices."""

from __future__ import annotations

from typing import Any

import pytest
from inference_helpers import CHAT, answer, chat, external_entity, make_ctx

from plane.inference.tokens import count_tokens


def _content(result: dict[str, Any], index: int = 0) -> str:
    content = result["choices"][index]["message"]["content"]
    assert isinstance(content, str)
    return content


def _without_ids(result: dict[str, Any]) -> dict[str, Any]:
    """The response minus the per-request fields (id, created)."""
    return {k: v for k, v in result.items() if k not in ("id", "created")}


def test_chat_response_has_the_documented_shape() -> None:
    result = answer(make_ctx(), chat("Hello there"))
    assert set(result) == {"id", "object", "created", "model", "choices", "usage"}
    assert result["object"] == "chat.completion"
    assert result["id"].startswith("chatcmpl-")
    assert isinstance(result["created"], int)
    assert result["model"] == "gpt-4o-mini"
    (choice,) = result["choices"]
    assert set(choice) == {"index", "message", "finish_reason"}
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "stop"
    usage = result["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] == count_tokens(choice["message"]["content"])


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Reply with the single word OK.", "OK"),
        ("reply with the single word OK", "OK"),
        ("Say pong", "pong"),
        ("Say 'hello world'", "hello world"),
        ('Reply with "READY" and nothing else.', "READY"),
        ("You are a smoke test.\nRespond with exactly: alive", "alive"),
        ("This is a check. Please say 42.", "42"),
        ("Answer with one word: yes", "yes"),
    ],
)
def test_instruction_prompts_are_obeyed(prompt: str, expected: str) -> None:
    assert _content(answer(make_ctx(), chat(prompt))) == expected


def test_a_description_is_not_echoed() -> None:
    text = _content(answer(make_ctx(), chat("Respond with a haiku about rain.")))
    assert text != "haiku about rain" and len(text.split()) > 5


def test_same_request_same_answer() -> None:
    body = chat("Tell me about rivers", n=3)
    assert _without_ids(answer(make_ctx(), body)) == _without_ids(answer(make_ctx(), body))


def test_different_prompts_answer_differently() -> None:
    first = _content(answer(make_ctx(), chat("Tell me about rivers")))
    second = _content(answer(make_ctx(), chat("Tell me about mountains")))
    assert first != second


def test_different_entities_answer_differently() -> None:
    other = external_entity(CHAT, model="gpt-4.1")
    first = _content(answer(make_ctx(), chat("Tell me about rivers")))
    second = _content(answer(make_ctx(entity=other), chat("Tell me about rivers")))
    assert first != second


def test_served_model_reports_entity_name() -> None:
    entity = {"name": "llama-1", "entity_name": "system.ai.meta_llama_v3_3_70b_instruct"}
    result = answer(make_ctx(entity=entity), chat("hi"))
    assert result["model"] == "llama-1"


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    full = _content(answer(make_ctx(), chat("Tell me about rivers")))
    result = answer(make_ctx(), chat("Tell me about rivers", max_tokens=3))
    text = _content(result)
    assert count_tokens(text) == 3
    assert full.startswith(text)
    assert result["choices"][0]["finish_reason"] == "length"
    assert result["usage"]["completion_tokens"] == 3


def test_max_tokens_large_enough_keeps_finish_reason_stop() -> None:
    result = answer(make_ctx(), chat("Reply with the single word OK.", max_tokens=1))
    assert (_content(result), result["choices"][0]["finish_reason"]) == ("OK", "stop")


@pytest.mark.parametrize("stop", [" the", [" the"], ["zzz", " the"]])
def test_stop_sequence_cuts_before_it(stop: str | list[str]) -> None:
    full = _content(answer(make_ctx(), chat("Tell me about rivers")))
    result = answer(make_ctx(), chat("Tell me about rivers", stop=stop))
    assert " the" in full
    assert _content(result) == full[: full.index(" the")]
    assert result["choices"][0]["finish_reason"] == "stop"


def test_n_gives_n_indexed_choices_that_differ() -> None:
    result = answer(make_ctx(), chat("Tell me about rivers", n=3))
    assert [c["index"] for c in result["choices"]] == [0, 1, 2]
    assert len({_content(result, i) for i in range(3)}) == 3
    total = sum(count_tokens(_content(result, i)) for i in range(3))
    assert result["usage"]["completion_tokens"] == total


def test_first_choice_does_not_depend_on_n() -> None:
    one = answer(make_ctx(), chat("Tell me about rivers"))
    three = answer(make_ctx(), chat("Tell me about rivers", n=3))
    assert _content(one) == _content(three)


def test_prompt_tokens_grow_with_the_conversation() -> None:
    short = answer(make_ctx(), chat("hi"))["usage"]["prompt_tokens"]
    long = answer(make_ctx(), chat("hi there, how are you today?"))["usage"]["prompt_tokens"]
    assert long > short > 0


def test_answer_follows_the_last_user_message() -> None:
    messages = [
        {"role": "system", "content": "Say nothing."},
        {"role": "user", "content": "Say first"},
        {"role": "assistant", "content": "first"},
        {"role": "user", "content": "Say second"},
    ]
    assert _content(answer(make_ctx(), {"messages": messages})) == "second"
