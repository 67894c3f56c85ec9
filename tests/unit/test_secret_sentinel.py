"""A plaintext key sent in a payload never comes back out, on any failure path.

A fake server (``httpx.MockTransport``) echoes a sentinel key in every place a real one
might: error messages, plain-text and HTML bodies, transport errors, an
``UPDATE_FAILED`` entity's ``deployment_state_message``. Each test scans ``str(err)``,
``err.hint``, ``err.args`` and every log record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from servingops.auth import BearerToken
from servingops.client import ControlPlaneClient
from servingops.errors import ApiError, ControlPlaneUnreachable, ToolError, UpdateFailed
from servingops.redact import secret_values
from servingops.waiter import describe_state, entity_states, wait_until_settled

KEY = "sk-SENTINEL-5f1c2d9e8b7a6043"
TOKEN = "token-SENTINEL-0a9b8c7d"
HOST = "https://workspace.example"
BODY: dict[str, Any] = {
    "name": "chat",
    "config": {
        "served_entities": [
            {
                "name": "gpt",
                "external_model": {"openai_config": {"openai_api_key_plaintext": KEY}},
            }
        ]
    },
}
SECRETS = secret_values(BODY)
Handler = Callable[[httpx.Request], httpx.Response]


class ZeroJitter:
    def random(self) -> float:
        return 0.0


@pytest.fixture(autouse=True)
def _all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log record (httpx logs each request) and scan them after each test."""
    caplog.set_level(logging.DEBUG)
    yield
    assert_clean(caplog.text)


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and TOKEN not in text, text


def assert_error_clean(err: BaseException) -> None:
    hint = err.hint if isinstance(err, ToolError) else ""
    assert_clean(str(err), hint, repr(err.args))


def client_for(handler: Handler, **options: Any) -> ControlPlaneClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ControlPlaneClient(
        HOST, BearerToken(TOKEN), http=http, clock=FakeClock(), rng=ZeroJitter(), **options
    )


def echo(status: int) -> Handler:
    """Quotes the key (from the body, or from memory for a GET) and the token."""

    def handler(request: httpx.Request) -> httpx.Response:
        message = f"rejected openai key {KEY}; auth {request.headers['Authorization']}"
        return httpx.Response(status, json={"error_code": "X", "message": message})

    return handler


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 503])
def test_api_errors_of_a_create_never_show_the_key(status: int) -> None:
    with pytest.raises(ApiError) as caught:
        client_for(echo(status), retry_budget_s=5).create_endpoint(BODY)
    assert_error_clean(caught.value)
    assert "(hidden)" in str(caught.value)


def test_a_get_after_the_create_never_shows_the_key_it_sent() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"name": "chat"})
        return echo(500)(request)

    client = client_for(server, retry_budget_s=0)
    client.create_endpoint(BODY)
    with pytest.raises(ApiError) as caught:
        client.get_endpoint("chat")
    assert_error_clean(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text=f"ok but {KEY}"),
        httpx.Response(502, html=f"<html><title>proxy {KEY}</title></html>"),
        httpx.Response(500, text=f"key={KEY}"),
        httpx.Response(400, json=[f"{KEY}"]),
    ],
    ids=["non-json-200", "html-502", "text-500", "json-list"],
)
def test_odd_bodies_never_show_the_key(answer: httpx.Response) -> None:
    with pytest.raises(ApiError) as caught:
        client_for(lambda _: answer, retry_budget_s=0).create_endpoint(BODY)
    assert_error_clean(caught.value)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError(f"proxy refused {KEY}"),
        httpx.ConnectTimeout(f"timed out for {KEY}"),
        httpx.ReadTimeout(f"no answer {KEY}"),
        httpx.RemoteProtocolError(f"closed after {KEY}"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transport_errors_never_show_the_key(failure: httpx.TransportError) -> None:
    def server(_: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(ControlPlaneUnreachable) as caught:
        client_for(server).create_endpoint(BODY)
    assert_error_clean(caught.value)


def failed_endpoint(config_update: str = "UPDATE_FAILED") -> dict[str, Any]:
    entity = {
        "name": "gpt",
        "state": {
            "deployment": "DEPLOYMENT_FAILED",
            "deployment_state_message": f"Invalid openai_api_key_plaintext {KEY} for openai",
        },
    }
    return {
        "name": "chat",
        "state": {"config_update": config_update, "ready": f"NOT_READY {KEY}"},
        "pending_config": {"config_version": 2, "served_entities": [entity]},
    }


def test_update_failed_never_shows_the_key_the_update_sent() -> None:
    fresh = client_for(lambda _: httpx.Response(200, json=failed_endpoint()))
    with pytest.raises(UpdateFailed) as caught:
        wait_until_settled(fresh, "chat", deadline_s=60, clock=FakeClock(), secrets=SECRETS)
    assert_error_clean(caught.value)
    assert "served entity 'gpt' (DEPLOYMENT_FAILED): Invalid" in str(caught.value)


def test_wait_timeout_and_progress_lines_never_show_the_key() -> None:
    fresh = client_for(lambda _: httpx.Response(200, json=failed_endpoint("IN_PROGRESS")))
    lines: list[str] = []

    def progress(endpoint: dict[str, Any]) -> None:
        lines.append(describe_state(endpoint, SECRETS))
        lines.extend(entity_states(endpoint, SECRETS))

    with pytest.raises(ToolError) as caught:
        wait_until_settled(
            fresh, "chat", deadline_s=5, clock=FakeClock(), on_progress=progress, secrets=SECRETS
        )
    assert_error_clean(caught.value)
    assert_clean(*lines)
    assert lines


def test_an_error_raised_while_polling_is_redacted_with_the_update_secrets() -> None:
    with pytest.raises(ApiError) as caught:
        wait_until_settled(
            client_for(echo(404)), "chat", deadline_s=5, clock=FakeClock(), secrets=SECRETS
        )
    assert_error_clean(caught.value)


def test_the_sentinel_really_is_in_what_the_fake_server_sent() -> None:
    """Guards the tests above: the fake does echo the key (so "clean" means redacted)."""
    answer = echo(400)(httpx.Request("POST", HOST, headers={"Authorization": "x"}))
    assert KEY in json.dumps(answer.json())
