"""Responses API requests through the OpenAI client: input roles, text.format, errors in its terms.

openai-python ``types/responses/easy_input_message_param.py``: a message item's ``role`` is
required and one of ``user``, ``assistant``, ``system``, ``developer`` ("Instructions
given with the `developer` or `system` role take precedence over instructions given with
the `user` role").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI
from plane_testing import RunningPlane, running_plane
from pydantic import BaseModel

CHAT = "databricks-meta-llama-3-3-70b-instruct"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[OpenAI]:
    for key in list(os.environ):
        if key.startswith("OPENAI_"):
            monkeypatch.delenv(key)
    with running_plane(tmp_path, settle_seconds=0) as plane:
        yield _client(plane)


def _client(plane: RunningPlane) -> OpenAI:
    return OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token, max_retries=0)


def test_developer_role_is_an_instruction(client: OpenAI) -> None:
    items: Any = [
        {"role": "developer", "content": "Answer in one word."},
        {"role": "user", "content": "Hello?"},
    ]
    response = client.responses.create(model=CHAT, input=items)
    assert response.status == "completed" and response.output_text


@pytest.mark.parametrize("role", [None, "robot"])
def test_a_message_without_a_valid_role_names_the_input_item(client: OpenAI, role: Any) -> None:
    item = {"content": "hi"} if role is None else {"role": role, "content": "hi"}
    items: Any = [{"role": "user", "content": "first"}, item]
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=CHAT, input=items)
    message = str(caught.value)
    assert "input[1].role" in message and "developer" in message
    assert "messages[" not in message


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"max_output_tokens": 0}, "`max_output_tokens`"),
        ({"max_output_tokens": "ten"}, "`max_output_tokens`"),
        ({"tools": "get_weather"}, "`tools` must be a list"),
    ],
)
def test_request_errors_name_the_responses_field(
    client: OpenAI, extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=CHAT, input="hi", **extra)
    message = str(caught.value)
    assert field in message
    assert "max_tokens" not in message and "tools[0]" not in message


class Forecast(BaseModel):
    city: str
    celsius: float


def test_text_format_json_schema_gives_parsable_output(client: OpenAI) -> None:
    """``client.responses.parse(text_format=Model)`` sends ``text.format`` =
    ``{type: json_schema, name, schema, strict}`` (openai-python
    ``ResponseFormatTextJSONSchemaConfigParam``) and parses ``output_text`` into it."""
    response = client.responses.parse(model=CHAT, input="Weather in Oslo?", text_format=Forecast)
    assert isinstance(response.output_parsed, Forecast)
    assert response.text.format.type == "json_schema"


def test_text_format_json_object_gives_a_json_object(client: OpenAI) -> None:
    response = client.responses.create(
        model=CHAT, input="Answer in JSON.", text={"format": {"type": "json_object"}}
    )
    assert isinstance(json.loads(response.output_text), dict)


@pytest.mark.parametrize(
    "fmt", [{"type": "yaml"}, {"type": "json_schema", "schema": {"type": "object"}}, "json"]
)
def test_a_malformed_text_format_names_the_field(client: OpenAI, fmt: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=CHAT, input="hi", text={"format": fmt})
    assert "text.format" in str(caught.value) and "response_format" not in str(caught.value)
