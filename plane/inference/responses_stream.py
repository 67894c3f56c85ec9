"""The event stream of a Responses API answer (``stream: true``), built from the finished
``response`` object of ``plane.inference.responses_api.to_response``.

Order (OpenAI API reference, "Streaming events"; openai-python ``types/responses`` and the
``responses.stream`` accumulator in ``lib/streaming/responses``)::

    response.created, response.in_progress          (status in_progress, no output)
    per output item:
      response.output_item.added                    (message without content, or
                                                     function_call with arguments "")
      message:       content_part.added, output_text.delta..., output_text.done,
                     content_part.done
      function_call: function_call_arguments.delta..., function_call_arguments.done
      response.output_item.done                     (the whole item)
    response.completed | response.incomplete       (the whole response; no [DONE])

Each event is ``event: <type>`` + ``data: <json>`` with a ``sequence_number`` from 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plane.inference.streaming import sse_event
from plane.inference.tokens import split_pieces

__all__ = ["response_events"]


def response_events(response: dict[str, Any]) -> Iterator[bytes]:
    """The SSE events of a streamed ``response``: ``response.created``,
    ``response.in_progress``, each output item (``_item_events``), then
    ``response.completed`` or (a cut answer) ``response.incomplete``."""
    seq = iter(range(1 << 30))
    start = {**response, "status": "in_progress", "output": [], "usage": None}
    start["incomplete_details"] = None
    yield _event("response.created", next(seq), response=start)
    yield _event("response.in_progress", next(seq), response=start)
    for index, item in enumerate(response["output"]):
        yield from _item_events(item, index, seq)
    yield _event(_terminal_event(response), next(seq), response=response)


def _item_events(item: dict[str, Any], index: int, seq: Iterator[int]) -> Iterator[bytes]:
    """``output_item.added`` (a message without content, a function call with empty
    ``arguments``), the item's deltas, ``output_item.done`` with the whole item."""
    message = item["type"] == "message"
    empty: dict[str, Any] = {"content": []} if message else {"arguments": ""}
    opened = {**item, "status": "in_progress", **empty}
    yield _event("response.output_item.added", next(seq), output_index=index, item=opened)
    yield from (_text_events if message else _argument_events)(item, index, seq)
    yield _event("response.output_item.done", next(seq), output_index=index, item=item)


def _terminal_event(response: dict[str, Any]) -> str:
    """``response.incomplete`` for a cut answer (``status: incomplete``), else
    ``response.completed`` (OpenAI API reference, "Streaming events"; openai-python
    ``ResponseIncompleteEvent``: "emitted when a response finishes as incomplete")."""
    return "response.incomplete" if response["status"] == "incomplete" else "response.completed"


def _text_events(item: dict[str, Any], index: int, seq: Iterator[int]) -> Iterator[bytes]:
    part = item["content"][0]
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    empty = {**part, "text": ""}
    yield _event("response.content_part.added", next(seq), **where, part=empty)
    for piece in split_pieces(part["text"]):
        yield _event("response.output_text.delta", next(seq), **where, delta=piece, logprobs=[])
    done = {"text": part["text"], "logprobs": []}
    yield _event("response.output_text.done", next(seq), **where, **done)
    yield _event("response.content_part.done", next(seq), **where, part=part)


def _argument_events(item: dict[str, Any], index: int, seq: Iterator[int]) -> Iterator[bytes]:
    """A function call's ``response.function_call_arguments.delta`` pieces and ``.done``."""
    where = {"item_id": item["id"], "output_index": index}
    for piece in split_pieces(item["arguments"]):
        yield _event("response.function_call_arguments.delta", next(seq), **where, delta=piece)
    yield _event(
        "response.function_call_arguments.done", next(seq), **where, arguments=item["arguments"]
    )


def _event(kind: str, sequence: int, **fields: Any) -> bytes:
    return (
        b"event: "
        + kind.encode()
        + b"\n"
        + sse_event({"type": kind, "sequence_number": sequence, **fields})
    )
