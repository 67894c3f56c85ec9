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


def test_cut_answer_ends_with_response_incomplete(client: OpenAI) -> None:
    events = _events(client, input="tell me a long story", max_output_tokens=3)
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.status == "incomplete"
    assert last.response.incomplete_details.reason == "max_output_tokens"
    assert "response.completed" not in [event.type for event in events]
