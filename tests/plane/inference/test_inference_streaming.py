"""Streaming: SSE framing, chunks that rebuild the non-streamed answer, usage, [DONE]."""

from __future__ import annotations

from typing import Any

import pytest
from inference_helpers import COMPLETIONS, answer, chat, make_ctx, sse_payloads

from plane.inference import QueryError, run_query

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def _stream(body: dict[str, Any], task: str = "llm/v1/chat", usage: bool = True) -> list[Any]:
    options = {"stream_options": {"include_usage": True}} if usage else {}
    result = run_query(make_ctx(task), {**body, "stream": True, **options})
    assert not isinstance(result, dict), "a streaming request must return an iterator"
    return sse_payloads(result)


def test_chat_stream_frames_rebuild_the_plain_answer() -> None:
    body = chat("Tell me about rivers")
    plain = answer(make_ctx(), body)
    events = _stream(body)
    assert events[-1] == "[DONE]"
    chunks, usage = events[:-2], events[-2]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in events[:-1]}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == plain["choices"][0]["message"]["content"]
    assert len(chunks) > 3  # one chunk per token piece, not one blob
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "content" in chunks[-1]["choices"][0]["delta"]
    assert usage["choices"] == [] and usage["usage"] == plain["usage"]


def test_chat_stream_reports_length_when_truncated() -> None:
    events = _stream(chat("Tell me about rivers", max_tokens=2))
    content = [e for e in events[:-2] if e["choices"][0]["delta"].get("content")]
    assert len(content) == 2
    assert content[-1]["choices"][0]["finish_reason"] == "length"


def test_chat_stream_with_n_choices_streams_each_index() -> None:
    events = _stream(chat("Tell me about rivers", n=2))
    indexes = {e["choices"][0]["index"] for e in events[:-2]}
    finishes = [e for e in events[:-2] if e["choices"][0]["finish_reason"]]
    assert indexes == {0, 1} and len(finishes) == 2


def test_chat_stream_tool_calls_arrive_as_deltas() -> None:
    body = chat("What is the weather in Oslo? Use get_weather.", tools=[WEATHER])
    plain = answer(make_ctx(), body)["choices"][0]["message"]["tool_calls"]
    events = _stream(body)
    deltas = [e["choices"][0] for e in events[:-2] if "tool_calls" in e["choices"][0]["delta"]]
    assert len(deltas) == 1
    (call,) = deltas[0]["delta"]["tool_calls"]
    assert call == {"index": 0, **plain[0]}
    assert deltas[0]["finish_reason"] == "tool_calls"


def test_completion_stream_frames_rebuild_the_plain_answer() -> None:
    body = {"prompt": "Once upon a time"}
    plain = answer(make_ctx(COMPLETIONS), body)
    events = _stream(body, COMPLETIONS)
    chunks = events[:-2]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert "".join(c["choices"][0]["text"] for c in chunks) == plain["choices"][0]["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"][0]["logprobs"] is None for c in chunks)
    assert events[-2]["usage"] == plain["usage"]


@pytest.mark.parametrize(
    ("task", "body"),
    [("llm/v1/chat", chat("Tell me about rivers")), (COMPLETIONS, {"prompt": "Once upon"})],
)
@pytest.mark.parametrize("options", [None, {}, {"include_usage": False}])
def test_no_usage_chunk_unless_include_usage_is_asked(
    task: str, body: dict[str, Any], options: dict[str, Any] | None
) -> None:
    extra = {} if options is None else {"stream_options": options}
    events = _stream({**body, **extra}, task, usage=False)
    assert events[-1] == "[DONE]"
    assert all(e["choices"] for e in events[:-1]), "every chunk but [DONE] carries a choice"
    assert not any("usage" in e for e in events[:-1])


def test_validation_errors_raise_before_any_stream_starts() -> None:
    with pytest.raises(QueryError) as caught:
        run_query(make_ctx(), {"messages": [], "stream": True})
    assert caught.value.status == 400
