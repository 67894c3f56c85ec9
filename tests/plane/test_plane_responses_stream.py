"""The Responses API event stream through the OpenAI client, event by event.

The sequence a client sees (OpenAI API reference, "Streaming events"; openai-python
``types/responses`` and ``lib/streaming/responses``): ``response.created``,
``response.in_progress``, per output item ``response.output_item.added`` (a function call
opens with empty ``arguments``), its text deltas or ``response.function_call_arguments.delta``
events and their ``.done``, ``response.output_item.done``; then one terminal event:
``response.completed``, or ``response.incomplete`` when the answer was cut.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from openai import OpenAI
from plane_testing import RunningPlane, running_plane

CHAT = "databricks-meta-llama-3-3-70b-instruct"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather of a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("OPENAI_"):
            monkeypatch.delenv(key)


@pytest.fixture
def plane(tmp_path) -> Iterator[RunningPlane]:
    with running_plane(tmp_path, settle_seconds=0) as running:
        yield running


@pytest.fixture
def client(plane: RunningPlane) -> OpenAI:
    return OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token, max_retries=0)


def _events(client: OpenAI, **request: Any) -> list[Any]:
    return list(client.responses.create(model=CHAT, stream=True, **request))


def test_stream_opens_with_created_then_in_progress(client: OpenAI) -> None:
    types = [event.type for event in _events(client, input="hello")]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"


def test_cut_answer_ends_with_response_incomplete(client: OpenAI) -> None:
    events = _events(client, input="tell me a long story", max_output_tokens=3)
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.status == "incomplete"
    assert last.response.incomplete_details.reason == "max_output_tokens"
    assert "response.completed" not in [event.type for event in events]


def test_function_call_arguments_arrive_as_deltas(client: OpenAI) -> None:
    events = _events(client, input="weather in Paris?", tools=[WEATHER], tool_choice="required")
    added = next(e for e in events if e.type == "response.output_item.added")
    assert added.item.type == "function_call" and added.item.arguments == ""
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    final = events[-1].response.output[0]
    assert deltas and "".join(deltas) == done.arguments == final.arguments
    assert done.item_id == added.item.id == final.id


def test_stream_helper_snapshot_of_arguments_is_not_doubled(client: OpenAI) -> None:
    with client.responses.stream(
        model=CHAT, input="weather in Paris?", tools=[WEATHER], tool_choice="required"
    ) as stream:
        snapshots = [
            event.snapshot
            for event in stream
            if event.type == "response.function_call_arguments.delta"
        ]
        final = stream.get_final_response()
    call = final.output[0]
    assert call.type == "function_call"
    assert snapshots and snapshots[-1] == call.arguments
