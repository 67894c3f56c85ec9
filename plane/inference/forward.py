"""Forwarding a query to the OpenAI-compatible server an external model points at.

An entity is forwardable when it is ``provider: openai`` with ``openai_config.
openai_api_base`` set (plain OpenAI API type; Azure URL layouts are answered offline), or
``provider: custom`` with ``custom_provider_config.custom_provider_url``. The request goes
to ``{base}/chat/completions``, ``/completions`` or ``/embeddings`` with ``model`` set to
the upstream model name and ``extra_params`` merged into the body. Credentials come from
the plaintext fields; a ``{{secrets/...}}`` reference cannot be resolved locally, so the
request then carries no credential header.

``QueryContext.forward`` limits where requests may go: ``none``, ``loopback`` (127.0.0.0/8,
::1, localhost: the default, so a config naming a real internet API causes no traffic)
or ``all``. Errors become ``QueryError`` through ``_STATUS_MAP``; messages name the
upstream URL and status and never the key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from plane.inference.context import FORWARD_MODES, QueryContext, QueryError
from plane.inference.entity import external_model
from plane.inference.params import CHAT, COMPLETIONS, EMBEDDINGS
from plane.inference.streaming import sse_event

__all__ = ["Upstream", "find_upstream", "forward_query", "forwarding_allowed"]

_PATHS = {CHAT: "/chat/completions", COMPLETIONS: "/completions", EMBEDDINGS: "/embeddings"}
_SECRET_REF = re.compile(r"^\{\{\s*secrets/[^/]+/[^}]+\}\}$")
_DROPPED = ("extra_params", "usage_context", "client_request_id")
_TIMEOUT = httpx.Timeout(297.0, connect=10.0)
# upstream status -> (our status, error_code); anything else is a 502 BAD_GATEWAY.
_STATUS_MAP = {
    400: (400, "BAD_REQUEST"),
    404: (400, "BAD_REQUEST"),
    413: (400, "BAD_REQUEST"),
    422: (400, "BAD_REQUEST"),
    408: (504, "DEADLINE_EXCEEDED"),
    429: (429, "REQUEST_LIMIT_EXCEEDED"),
    503: (503, "TEMPORARILY_UNAVAILABLE"),
    504: (504, "DEADLINE_EXCEEDED"),
}


@dataclass(frozen=True)
class Upstream:
    """Where and how to forward: base URL, model name, headers, and secrets to redact."""

    provider: str
    base_url: str
    model: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def find_upstream(entity: dict[str, Any]) -> Upstream | None:
    """The OpenAI-compatible server an entity forwards to, or None (answer offline)."""
    ext = external_model(entity) or {}
    provider, model = ext.get("provider"), str(ext.get("name", ""))
    if provider == "openai":
        return _openai_upstream(ext.get("openai_config") or {}, model)
    if provider == "custom":
        return _custom_upstream(ext.get("custom_provider_config") or {}, model)
    return None


def _openai_upstream(config: dict[str, Any], model: str) -> Upstream | None:
    """``openai_api_base`` with a bearer key; None for Azure types or no base URL."""
    base = config.get("openai_api_base")
    if not isinstance(base, str) or config.get("openai_api_type", "openai") != "openai":
        return None
    key = _usable(config, "openai_api_key")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if isinstance(config.get("openai_organization"), str):
        headers["OpenAI-Organization"] = config["openai_organization"]
    return Upstream("openai", base, model, headers, (key,) if key else ())


def _custom_upstream(config: dict[str, Any], model: str) -> Upstream | None:
    """``custom_provider_url`` with a bearer token or an API-key header."""
    base = config.get("custom_provider_url")
    if not isinstance(base, str):
        return None
    bearer = config.get("bearer_token_auth") or {}
    api_key = config.get("api_key_auth") or {}
    token, value = _usable(bearer, "token"), _usable(api_key, "value")
    headers: dict[str, str] = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if value and isinstance(api_key.get("key"), str):
        headers[api_key["key"]] = value
    return Upstream("custom", base, model, headers, tuple(s for s in (token, value) if s))


def _usable(block: dict[str, Any], name: str) -> str | None:
    """``name_plaintext``, else ``name`` unless it is an unresolvable secret reference."""
    for value in (block.get(f"{name}_plaintext"), block.get(name)):
        if isinstance(value, str) and value and not _SECRET_REF.match(value.strip()):
            return value
    return None


def forwarding_allowed(url: str, mode: str) -> bool:
    """Whether ``mode`` (none/loopback/all) permits sending to ``url``."""
    if mode not in FORWARD_MODES:
        raise ValueError(f"QueryContext.forward must be one of {FORWARD_MODES}; got {mode!r}")
    if mode != "loopback":
        return mode == "all"
    host = (httpx.URL(url).host or "").lower()
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def target_url(upstream: Upstream, task: str) -> str:
    """``{base}/<task path>``, unless the base already ends with that path."""
    base, path = upstream.base_url.rstrip("/"), _PATHS[task]
    return base if base.endswith(path) else base + path


def upstream_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    """The request to send: Databricks-only fields dropped, ``extra_params`` merged in."""
    extra = body.get("extra_params") or {}
    out = {k: v for k, v in body.items() if k not in _DROPPED}
    out.update({k: v for k, v in extra.items() if k not in out})
    out["model"] = model
    return out


def forward_query(
    ctx: QueryContext, upstream: Upstream, body: dict[str, Any]
) -> dict[str, Any] | Iterator[bytes]:
    """Send the request upstream; its JSON, or (when streaming) a relay of its SSE bytes."""
    url = target_url(upstream, ctx.task)
    client = ctx.http or httpx.Client(timeout=_TIMEOUT, trust_env=False)
    owned = ctx.http is None
    request = client.build_request(
        "POST", url, json=upstream_body(body, upstream.model), headers=upstream.headers
    )
    try:
        response = _send(client, request, upstream, stream=bool(body.get("stream")))
    except BaseException:
        if owned:
            client.close()
        raise
    if body.get("stream"):
        return _relay(response, client if owned else None, upstream)
    try:
        return _json_answer(response, upstream)
    finally:
        response.close()
        if owned:
            client.close()


def _send(
    client: httpx.Client, request: httpx.Request, up: Upstream, stream: bool
) -> httpx.Response:
    """Send, turning transport failures and error statuses into ``QueryError``."""
    where = _shown_url(request.url)
    try:
        response = client.send(request, stream=stream)
    except httpx.TimeoutException:
        raise QueryError(504, "DEADLINE_EXCEEDED", f"upstream {where} timed out") from None
    except httpx.HTTPError as err:
        kind = type(err).__name__
        raise QueryError(502, "BAD_GATEWAY", f"could not reach upstream {where}: {kind}") from None
    if response.status_code >= 400:
        detail = _error_detail(response, up)
        response.close()
        status, code = _STATUS_MAP.get(response.status_code, (502, "BAD_GATEWAY"))
        message = f"upstream {up.provider} server {where} answered {response.status_code}"
        raise QueryError(status, code, f"{message}: {detail}" if detail else message)
    return response


def _json_answer(response: httpx.Response, up: Upstream) -> dict[str, Any]:
    """The upstream's JSON object, or a 502 naming the URL when it is not one."""
    try:
        answer = response.json()
    except (ValueError, httpx.HTTPError):
        answer = None
    if not isinstance(answer, dict):
        where = _shown_url(response.request.url)
        raise QueryError(502, "BAD_GATEWAY", f"upstream {where} did not answer with a JSON object")
    return answer


def _relay(response: httpx.Response, owned: httpx.Client | None, up: Upstream) -> Iterator[bytes]:
    """Relay upstream SSE bytes; a broken stream ends with an ``error`` event, not a crash."""
    try:
        yield from response.iter_bytes()
    except httpx.HTTPError as err:
        message = f"upstream {_shown_url(response.request.url)} stream broke: {type(err).__name__}"
        yield sse_event({"error": {"message": message, "code": "BAD_GATEWAY"}})
    finally:
        response.close()
        if owned is not None:
            owned.close()


def _error_detail(response: httpx.Response, up: Upstream) -> str:
    """A short upstream error message (its ``error.message`` if JSON), secrets redacted."""
    try:
        response.read()
        text = response.text
    except httpx.HTTPError:
        return ""
    try:
        data = json.loads(text)
        err = data.get("error") if isinstance(data, dict) else None
        text = str(
            err.get("message") if isinstance(err, dict) else err or data.get("message") or text
        )
    except (ValueError, AttributeError):
        pass
    for secret in up.secrets:
        text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


def _shown_url(url: httpx.URL) -> str:
    """The URL without user info or query string (either may carry credentials)."""
    return str(url.copy_with(userinfo=b"", query=None))
