"""Helpers for the query-engine tests: contexts, bodies, SSE parsing, a scripted upstream."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from plane.inference import QueryContext, QueryError, run_query

CHAT, COMPLETIONS, EMBEDDINGS = "llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"


def external_entity(task: str, model: str = "gpt-4o-mini", **config: Any) -> dict[str, Any]:
    """An OpenAI external-model entity (no base URL unless given: answered offline)."""
    openai_config = {"openai_api_key": "{{secrets/scope/key}}", **config}
    return {
        "name": "gpt",
        "external_model": {
            "provider": "openai",
            "name": model,
            "task": task,
            "openai_config": openai_config,
        },
    }


def make_ctx(task: str = CHAT, entity: dict[str, Any] | None = None, **kw: Any) -> QueryContext:
    """A context for an external OpenAI model of ``task`` unless ``entity`` is given."""
    return QueryContext("my-endpoint", task, entity or external_entity(task), **kw)


def chat(text: str, **body: Any) -> dict[str, Any]:
    """A one-user-message chat body."""
    return {"messages": [{"role": "user", "content": text}], **body}


def answer(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any]:
    """``run_query`` for a non-streaming request, asserting it gave a dict."""
    result = run_query(ctx, body)
    assert isinstance(result, dict), f"expected a JSON answer, got {type(result).__name__}"
    return result


def query_error(ctx: QueryContext, body: dict[str, Any]) -> QueryError:
    """The ``QueryError`` that ``run_query`` raises for ``body`` (fails if none)."""
    with pytest.raises(QueryError) as caught:
        run_query(ctx, body)
    return caught.value


def sse_payloads(stream: Any) -> list[Any]:
    """Parse an iterator of SSE bytes into its ``data:`` payloads (``[DONE]`` kept as str)."""
    raw = b"".join(stream).decode("utf-8")
    assert raw.endswith("data: [DONE]\n\n"), f"stream must end with [DONE]: {raw[-80:]!r}"
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events), events
    return [e[6:] if e == "data: [DONE]" else json.loads(e[6:]) for e in events]


@dataclass
class Upstream:
    """A scripted OpenAI-compatible server: ``reply(path, body) -> (status, headers, bytes)``."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    reply: Callable[[str, dict[str, Any]], tuple[int, dict[str, str], bytes]] | None = None


def _default_reply(path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Echo what the server saw, in a chat-completion-like JSON body."""
    data: dict[str, Any] = {
        "object": "upstream",
        "path": path,
        "model": body.get("model"),
        "choices": [],
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()


def make_handler(state: Upstream) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``state``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, headers, payload = (state.reply or _default_reply)(self.path, body)
            self.send_response(status)
            for key, value in {"Content-Length": str(len(payload)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output quiet

    return Handler
