"""Forwarding to an OpenAI-compatible upstream: plain, streaming, errors, and when not to."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from inference_helpers import (
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    Upstream,
    answer,
    chat,
    external_entity,
    make_ctx,
    query_error,
)

from plane.inference import QueryContext, run_query

KEY = "sk-test-very-secret-key"
SSE = (
    b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"up"}}]}\n\n'
    b"data: [DONE]\n\n"
)


def _openai(url: str, task: str = CHAT, **config: Any) -> dict[str, Any]:
    """An OpenAI entity at ``url``, with the plaintext key unless a key reference is given."""
    entity = external_entity(task, "gpt-4o-mini")
    cfg = {"openai_api_base": url, **config}
    if "openai_api_key" not in config:
        cfg["openai_api_key_plaintext"] = KEY
    entity["external_model"]["openai_config"] = cfg
    return entity


def _custom(url: str, auth: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "mine",
        "external_model": {
            "provider": "custom",
            "name": "my-llm",
            "task": CHAT,
            "custom_provider_config": {"custom_provider_url": url, **auth},
        },
    }


def _reply(status: int, payload: Any, content_type: str = "application/json") -> Any:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return lambda path, body: (status, {"Content-Type": content_type}, data)


def test_chat_is_forwarded_with_model_key_and_extra_params(upstream: Upstream) -> None:
    body = chat(
        "hi",
        max_tokens=5,
        extra_params={"seed": 7, "max_tokens": 99},
        usage_context={"team": "a"},
        client_request_id="r1",
    )
    result = answer(make_ctx(entity=_openai(upstream.url)), body)
    assert result == {
        "object": "upstream",
        "path": "/v1/chat/completions",
        "model": "gpt-4o-mini",
        "choices": [],
    }
    (seen,) = upstream.requests
    assert seen["headers"]["Authorization"] == f"Bearer {KEY}"
    assert seen["body"] == {
        "messages": body["messages"],
        "max_tokens": 5,
        "seed": 7,
        "model": "gpt-4o-mini",
    }


@pytest.mark.parametrize(
    ("task", "path"), [(COMPLETIONS, "/v1/completions"), (EMBEDDINGS, "/v1/embeddings")]
)
def test_each_task_goes_to_its_openai_path(upstream: Upstream, task: str, path: str) -> None:
    body = {"prompt": "hi"} if task == COMPLETIONS else {"input": "hi"}
    assert answer(make_ctx(task, _openai(upstream.url, task)), body)["path"] == path


def test_base_url_that_already_names_the_path_is_used_as_is(upstream: Upstream) -> None:
    entity = _openai(f"{upstream.url}/chat/completions")
    assert answer(make_ctx(entity=entity), chat("hi"))["path"] == "/v1/chat/completions"


def test_secret_reference_is_forwarded_without_credentials(upstream: Upstream) -> None:
    entity = _openai(
        upstream.url, openai_api_key="{{secrets/scope/key}}", openai_organization="org-1"
    )
    answer(make_ctx(entity=entity), chat("hi"))
    headers = {k.lower(): v for k, v in upstream.requests[0]["headers"].items()}
    assert "authorization" not in headers
    assert headers["openai-organization"] == "org-1"


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        ({"bearer_token_auth": {"token_plaintext": "tok-1"}}, "authorization", "Bearer tok-1"),
        ({"api_key_auth": {"key": "X-Api-Key", "value_plaintext": "k-2"}}, "x-api-key", "k-2"),
    ],
)
def test_custom_provider_forwards_with_its_auth(
    upstream: Upstream, auth: dict[str, Any], header: str, value: str
) -> None:
    result = answer(make_ctx(entity=_custom(upstream.url, auth)), chat("hi"))
    assert result["model"] == "my-llm"
    headers = {k.lower(): v for k, v in upstream.requests[0]["headers"].items()}
    assert headers[header] == value


def test_streaming_is_relayed_byte_for_byte(upstream: Upstream) -> None:
    upstream.reply = _reply(200, SSE, "text/event-stream")
    stream = run_query(make_ctx(entity=_openai(upstream.url)), chat("hi", stream=True))
    assert not isinstance(stream, dict)
    assert b"".join(stream) == SSE
    assert upstream.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize(
    ("status", "ours", "code"),
    [
        (400, 400, "BAD_REQUEST"),
        (401, 502, "BAD_GATEWAY"),
        (429, 429, "REQUEST_LIMIT_EXCEEDED"),
        (500, 502, "BAD_GATEWAY"),
        (503, 503, "TEMPORARILY_UNAVAILABLE"),
    ],
)
def test_upstream_errors_map_and_never_show_the_key(
    upstream: Upstream, status: int, ours: int, code: str
) -> None:
    upstream.reply = _reply(status, {"error": {"message": f"Incorrect API key provided: {KEY}"}})
    err = query_error(make_ctx(entity=_openai(upstream.url)), chat("hi"))
    assert (err.status, err.error_code) == (ours, code)
    assert f"{upstream.url}/chat/completions answered {status}" in err.message
    assert "Incorrect API key provided: ***" in err.message
    assert KEY not in err.message


def test_upstream_error_on_a_streaming_request_raises_before_streaming(upstream: Upstream) -> None:
    upstream.reply = _reply(500, {"error": {"message": "boom"}})
    err = query_error(make_ctx(entity=_openai(upstream.url)), chat("hi", stream=True))
    assert err.status == 502 and "answered 500: boom" in err.message


def test_upstream_non_json_answer_is_a_bad_gateway(upstream: Upstream) -> None:
    upstream.reply = _reply(200, b"<html>hello</html>", "text/html")
    err = query_error(make_ctx(entity=_openai(upstream.url)), chat("hi"))
    assert (err.status, err.error_code) == (502, "BAD_GATEWAY")
    assert "did not answer with a JSON object" in err.message


def test_unreachable_upstream_is_a_bad_gateway_naming_the_url() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    err = query_error(make_ctx(entity=_openai(f"http://127.0.0.1:{port}/v1")), chat("hi"))
    assert (err.status, err.error_code) == (502, "BAD_GATEWAY")
    assert f"could not reach upstream http://127.0.0.1:{port}/v1/chat/completions" in err.message


def _recording_client(seen: list[httpx.Request], handler: Any = None) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request) if handler else httpx.Response(200, json={"forwarded": True})

    return httpx.Client(transport=httpx.MockTransport(record))


def test_non_loopback_base_is_not_forwarded_by_default() -> None:
    seen: list[httpx.Request] = []
    with _recording_client(seen) as client:
        ctx = make_ctx(entity=_openai("https://api.openai.com/v1"), http=client)
        result = answer(ctx, chat("Reply with the single word OK."))
    assert seen == []
    assert result["object"] == "chat.completion"
    assert result["choices"][0]["message"]["content"] == "OK"


def test_forward_all_allows_any_host_through_the_given_client() -> None:
    seen: list[httpx.Request] = []
    with _recording_client(seen) as client:
        ctx = make_ctx(entity=_openai("https://api.openai.com/v1"), http=client, forward="all")
        assert answer(ctx, chat("hi")) == {"forwarded": True}
        assert not client.is_closed  # a client the caller owns is left open
    assert str(seen[0].url) == "https://api.openai.com/v1/chat/completions"


def test_forward_none_answers_offline_even_for_loopback(upstream: Upstream) -> None:
    result = answer(make_ctx(entity=_openai(upstream.url), forward="none"), chat("Say offline"))
    assert upstream.requests == []
    assert result["choices"][0]["message"]["content"] == "offline"


def test_localhost_name_counts_as_loopback(upstream: Upstream) -> None:
    url = upstream.url.replace("127.0.0.1", "localhost")
    assert answer(make_ctx(entity=_openai(url)), chat("hi"))["object"] == "upstream"


def test_azure_openai_is_answered_offline(upstream: Upstream) -> None:
    entity = _openai(upstream.url, openai_api_type="azure", openai_deployment_name="d")
    result = answer(make_ctx(entity=entity), chat("Say azure"))
    assert upstream.requests == []
    assert result["choices"][0]["message"]["content"] == "azure"


def test_upstream_timeout_is_deadline_exceeded() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with _recording_client([], slow) as client:
        ctx = make_ctx(entity=_openai("http://127.0.0.1:1/v1"), http=client)
        err = query_error(ctx, chat("hi"))
    assert (err.status, err.error_code) == (504, "DEADLINE_EXCEEDED")


class _BrokenStream(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'data: {"choices":[]}\n\n'
        raise httpx.ReadError("connection dropped")


def test_a_stream_broken_midway_ends_with_an_error_event() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": "text/event-stream"}, stream=_BrokenStream()
        )

    with _recording_client([], broken) as client:
        ctx = make_ctx(entity=_openai("http://127.0.0.1:1/v1"), http=client)
        stream = run_query(ctx, chat("hi", stream=True))
        assert not isinstance(stream, dict)
        events = b"".join(stream).decode().strip().split("\n\n")
    assert events[0] == 'data: {"choices":[]}'
    error = json.loads(events[-1][len("data: ") :])["error"]
    assert "stream broke: ReadError" in error["message"]


def test_invalid_forward_mode_is_a_programming_error(upstream: Upstream) -> None:
    ctx = QueryContext("e", CHAT, _openai(upstream.url), forward="sometimes")
    with pytest.raises(ValueError, match="forward must be one of"):
        run_query(ctx, chat("hi"))
