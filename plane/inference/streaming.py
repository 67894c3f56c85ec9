"""Server-Sent Events for streamed chat and completions answers.

Each event is ``data: <json>\\n\\n``. Per choice: (chat) a role chunk, then one chunk per
token piece or per tool call, the last of them carrying ``finish_reason``; then, only when
the request asked ``stream_options: {include_usage: true}``, one usage chunk with
``choices: []`` (every earlier chunk then carries ``usage: null``); then ``data: [DONE]``
(OpenAI's documented stream shape: the usage chunk is opt-in, and clients that read
``chunk.choices[0]`` rely on every other chunk having a choice).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from plane.inference.tokens import split_pieces

__all__ = ["DONE", "sse_event", "stream_chat", "stream_completion", "wants_usage"]

DONE = b"data: [DONE]\n\n"


def sse_event(payload: dict[str, Any]) -> bytes:
    """One SSE ``data:`` event holding compact JSON."""
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode("utf-8") + b"\n\n"


def _head(response: dict[str, Any], kind: str, include_usage: bool) -> dict[str, Any]:
    """The id/object/created/model fields every chunk repeats, and ``usage: null`` when
    the usage chunk was asked for (openai-python ``ChatCompletionStreamOptionsParam``:
    "All other chunks will also include a `usage` field, but with a null value")."""
    head = {
        "id": response.get("id"),
        "object": kind,
        "created": response.get("created"),
        "model": response.get("model"),
    }
    return {**head, "usage": None} if include_usage else head


def wants_usage(body: dict[str, Any]) -> bool:
    """True when the request asked for the final usage chunk (``stream_options.include_usage``)."""
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def stream_chat(response: dict[str, Any], include_usage: bool = False) -> Iterator[bytes]:
    """A ``chat.completion`` response replayed as ``chat.completion.chunk`` events."""
    head = _head(response, "chat.completion.chunk", include_usage)
    for choice in response.get("choices", []):
        for delta, finish in _chat_deltas(choice):
            chunk = {"index": choice.get("index", 0), "delta": delta, "finish_reason": finish}
            yield sse_event({**head, "choices": [chunk]})
    yield from _tail(head, response, include_usage)


def _chat_deltas(choice: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The deltas of one choice: role first, then content pieces or tool calls."""
    message, finish = choice.get("message") or {}, choice.get("finish_reason")
    yield {"role": "assistant", "content": ""}, None
    calls = message.get("tool_calls") or []
    parts: list[dict[str, Any]] = (
        [{"tool_calls": [{"index": k, **call}]} for k, call in enumerate(calls)]
        or [{"content": piece} for piece in split_pieces(message.get("content") or "")]
        or [{}]
    )
    for k, delta in enumerate(parts):
        yield delta, finish if k == len(parts) - 1 else None


def stream_completion(response: dict[str, Any], include_usage: bool = False) -> Iterator[bytes]:
    """A ``text_completion`` response replayed as ``text_completion`` chunks."""
    head = _head(response, "text_completion", include_usage)
    for choice in response.get("choices", []):
        pieces = split_pieces(choice.get("text") or "") or [""]
        for k, piece in enumerate(pieces):
            finish = choice.get("finish_reason") if k == len(pieces) - 1 else None
            chunk = {
                "index": choice.get("index", 0),
                "text": piece,
                "finish_reason": finish,
                "logprobs": None,
            }
            yield sse_event({**head, "choices": [chunk]})
    yield from _tail(head, response, include_usage)


def _tail(head: dict[str, Any], response: dict[str, Any], include_usage: bool) -> Iterator[bytes]:
    """The usage chunk (when asked for and there is usage) and the ``[DONE]`` terminator."""
    if include_usage and response.get("usage") is not None:
        yield sse_event({**head, "choices": [], "usage": response["usage"]})
    yield DONE
