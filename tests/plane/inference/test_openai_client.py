"""The official OpenAI client, unchanged user code, against a running plane.

Endpoints are created through the REST API; the client only gets
``OpenAI(base_url=f"{url}/serving-endpoints", api_key=token)`` and endpoint names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import openai
import pytest
from inference_helpers import Upstream
from openai import OpenAI
from plane_testing import RunningPlane, running_plane
from pydantic import BaseModel

API = "/api/2.0/serving-endpoints"
SECRET_REF = "{{secrets/llm/openai}}"
WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Weather", "parameters": WEATHER},
    }
]


def _external(task: str, model: str, **config: Any) -> dict[str, Any]:
    openai_config = {"openai_api_key": SECRET_REF} if not config else config
    return {
        "name": model.replace(".", "-"),
        "external_model": {
            "provider": "openai",
            "name": model,
            "task": task,
            "openai_config": openai_config,
        },
    }


def _create(running: RunningPlane, name: str, entity: dict[str, Any]) -> None:
    """Create an endpoint through the REST API and wait (bounded) until it is READY."""
    with running.client(timeout=10) as http:
        created = http.post(API, json={"name": name, "config": {"served_entities": [entity]}})
        assert created.status_code == 200, created.text
        for _ in range(200):
            state = http.get(f"{API}/{name}").json()["state"]
            if state == {"ready": "READY", "config_update": "NOT_UPDATING"}:
                return
            time.sleep(0.01)
    raise AssertionError(f"endpoint {name} did not become READY: {state}")


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlane]:
    """One plane for the module, with a chat, a completions and an embeddings endpoint."""
    with running_plane(tmp_path_factory.mktemp("openai-plane"), settle_seconds=0) as running:
        _create(running, "chat", _external("llm/v1/chat", "gpt-4o-mini"))
        _create(running, "complete", _external("llm/v1/completions", "gpt-3.5-turbo-instruct"))
        _create(running, "embed", _external("llm/v1/embeddings", "text-embedding-3-small"))
        yield running


@pytest.fixture
def client(plane: RunningPlane) -> Iterator[OpenAI]:
    """The user's code, unchanged: base URL and token, nothing else."""
    with OpenAI(base_url=f"{plane.url}/serving-endpoints", api_key=plane.token) as user_client:
        yield user_client


def test_chat_smoke_prompt(client: OpenAI) -> None:
    response = client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "Reply with the single word OK."}],
        max_tokens=5,
    )
    assert response.choices[0].message.content == "OK"
    assert response.choices[0].finish_reason == "stop"
    assert response.model == "gpt-4o-mini"
    assert response.usage is not None and response.usage.completion_tokens == 1


def test_chat_streaming_rebuilds_the_answer(client: OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Tell me about lighthouses"}]
    plain = client.chat.completions.create(model="chat", messages=messages)
    stream = client.chat.completions.create(
        model="chat", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    pieces, finishes, usage = [], [], None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finishes.append(choice.finish_reason)
    assert "".join(pieces) == plain.choices[0].message.content
    assert finishes[-1] == "stop" and len(pieces) > 3
    assert usage is not None and usage.total_tokens == plain.usage.total_tokens  # type: ignore[union-attr]


def test_chat_stream_without_include_usage_has_a_choice_in_every_chunk(client: OpenAI) -> None:
    """Clients that read ``chunk.choices[0]`` must not crash on a trailing usage chunk."""
    stream = client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text and all(chunk.usage is None for chunk in chunks)


@pytest.mark.parametrize("route", ["chat", "complete"])
def test_with_include_usage_every_chunk_carries_usage(client: OpenAI, route: str) -> None:
    """openai-python ``ChatCompletionStreamOptionsParam.include_usage``: "All other chunks
    will also include a `usage` field, but with a null value"."""
    options: Any = {"stream": True, "stream_options": {"include_usage": True}}
    if route == "chat":
        messages: Any = [{"role": "user", "content": "hi"}]
        chunks: list[Any] = list(
            client.chat.completions.create(model="chat", messages=messages, **options)
        )
    else:
        chunks = list(client.completions.create(model="complete", prompt="Once", **options))
    assert all("usage" in chunk.model_fields_set for chunk in chunks)
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_chat_tool_call_round_trip(client: OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Use get_weather for Oslo"}]
    first = client.chat.completions.create(model="chat", messages=messages, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER)
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "3 degrees and snow"},
    ]
    final = client.chat.completions.create(model="chat", messages=messages, tools=TOOLS)
    assert final.choices[0].message.content == "The get_weather tool returned: 3 degrees and snow"


def test_chat_streaming_tool_call(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "Please call get_weather"}],
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    )
    calls = [c for chunk in stream for ch in chunk.choices for c in ch.delta.tool_calls or []]
    assert [c.function.name for c in calls] == ["get_weather"]  # type: ignore[union-attr]
    jsonschema.validate(json.loads(calls[0].function.arguments or ""), WEATHER)  # type: ignore[union-attr]


class Line(BaseModel):
    sku: str
    quantity: int


class Order(BaseModel):
    customer: str
    express: bool
    lines: list[Line]


def test_structured_output_parses_into_the_users_model(client: OpenAI) -> None:
    completion = client.chat.completions.parse(
        model="chat",
        messages=[{"role": "user", "content": "Extract the order"}],
        response_format=Order,
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Order)
    assert parsed.lines and isinstance(parsed.lines[0], Line)


def test_completions_plain_and_streamed(client: OpenAI) -> None:
    plain = client.completions.create(model="complete", prompt="Say ready", max_tokens=4)
    assert plain.choices[0].text == "ready" and plain.model == "gpt-3.5-turbo-instruct"
    stream = client.completions.create(model="complete", prompt="Once upon a time", stream=True)
    streamed = "".join(c.text for chunk in stream for c in chunk.choices)
    again = client.completions.create(model="complete", prompt="Once upon a time")
    assert streamed == again.choices[0].text and len(streamed.split()) > 5


def test_embeddings_have_the_model_dimension(client: OpenAI) -> None:
    response = client.embeddings.create(model="embed", input=["first", "second"])
    assert [d.index for d in response.data] == [0, 1]
    assert {len(d.embedding) for d in response.data} == {1536}
    assert response.data[0].embedding != response.data[1].embedding
    assert response.usage.prompt_tokens == 2


def test_pay_per_token_embedding_endpoint(client: OpenAI) -> None:
    response = client.embeddings.create(model="databricks-gte-large-en", input="hello")
    assert len(response.data[0].embedding) == 1024


def test_invalid_parameter_is_a_bad_request_naming_the_field(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "hi"}], temperature=3
        )
    assert "`temperature` must be a number between 0 and 2" in str(caught.value)


def test_image_url_is_refused_with_the_data_url_hint(client: OpenAI) -> None:
    content: Any = [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": content}]
        )
    assert "only base64 data URLs are supported" in str(caught.value)


def _completion_json(content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-up",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


def test_forwarding_to_a_local_openai_compatible_server(
    plane: RunningPlane, client: OpenAI, upstream: Upstream
) -> None:
    def reply(path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if body.get("stream"):
            chunk = {"id": "u", "object": "chat.completion.chunk", "created": 1, "model": "m"}
            delta = {"index": 0, "delta": {"content": "streamed upstream"}, "finish_reason": "stop"}
            data = b"data: " + json.dumps({**chunk, "choices": [delta]}).encode() + b"\n\n"
            return 200, {"Content-Type": "text/event-stream"}, data + b"data: [DONE]\n\n"
        return 200, {"Content-Type": "application/json"}, _completion_json("from upstream")

    upstream.reply = reply
    entity = _external(
        "llm/v1/chat",
        "gpt-4o-mini",
        openai_api_base=upstream.url,
        openai_api_key_plaintext="sk-local-test",
    )
    _create(plane, "forwarded", entity)
    messages: list[Any] = [{"role": "user", "content": "hi"}]
    plain = client.chat.completions.create(model="forwarded", messages=messages)
    assert plain.choices[0].message.content == "from upstream"
    stream = client.chat.completions.create(model="forwarded", messages=messages, stream=True)
    assert "".join(c.delta.content or "" for k in stream for c in k.choices) == "streamed upstream"
    seen = upstream.requests[0]
    assert seen["path"] == "/v1/chat/completions" and seen["body"]["model"] == "gpt-4o-mini"
    assert seen["headers"]["Authorization"] == "Bearer sk-local-test"


def test_rest_invocations_answer_like_the_openai_route(plane: RunningPlane) -> None:
    body = {"messages": [{"role": "user", "content": "Say same"}]}
    with httpx.Client(base_url=plane.url, headers=plane.headers, timeout=10) as http:
        response = http.post("/serving-endpoints/chat/invocations", json=body)
    assert response.status_code == 200
    assert response.headers["served-model-name"] == "gpt-4o-mini"
    assert response.json()["choices"][0]["message"]["content"] == "same"
