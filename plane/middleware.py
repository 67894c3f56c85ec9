"""ASGI middleware around the routes: workspace header, stats, auth, faults, body size.

Pure ASGI (no BaseHTTPMiddleware) to keep the per-request cost low. Order, outermost
first: ``WorkspaceHeaderMiddleware`` → ``StatsMiddleware`` → ``AuthMiddleware`` →
``FaultMiddleware`` → ``BodyLimitMiddleware``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plane.auth import Authenticator
from plane.errors import BodyTooLarge, CustomError, PlaneError, Unauthenticated
from plane.faults import Fault, FaultRegistry
from plane.stats import RequestStats

ADMIN_PREFIX = "/__plane/"
PUBLIC_PATHS = frozenset(
    {
        "/.well-known/databricks-config",
        "/oidc/.well-known/oauth-authorization-server",
        "/oidc/v1/token",
        "/__plane/health",
    }
)
TRANSPORT_KEY = "plane.transport"
DATA_PLANE_PATH = re.compile(r"/[0-9]+/serving-endpoints/[^/]+/invocations")
"""A route-optimized URL: ``/<workspace id>/serving-endpoints/<name>/invocations``."""
ORG_ID_HEADER = "x-databricks-org-id"
"""Response header naming the workspace, as real workspaces send on every API answer."""


async def send_error(send: Send, error: PlaneError) -> None:
    """Write ``error`` as a complete JSON response."""
    body = json.dumps(error.to_body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class WorkspaceHeaderMiddleware:
    """Adds ``x-databricks-org-id: <workspace id>`` to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp, workspace_id: str) -> None:
        self.app = app
        self.header = (ORG_ID_HEADER.encode(), workspace_id.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self.header]}
            await send(message)

        await self.app(scope, receive, send_with_header)


class StatsMiddleware:
    """Counts every request except ``/__plane/*`` by method and route template."""

    def __init__(self, app: ASGIApp, stats: RequestStats, routes: list[BaseRoute]) -> None:
        self.app, self.stats, self.routes = app, stats, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.stats.count(scope["method"], self._template(scope))

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None and hasattr(route, "path"):
            return str(route.path)
        for candidate in self.routes:
            match, _ = candidate.matches(scope)
            if match != Match.NONE and hasattr(candidate, "path"):
                return str(candidate.path)
        return str(scope["path"])


class AuthMiddleware:
    """Rejects requests without a valid bearer token (401) and records the principal.

    ``own_auth(path)`` names the paths that check their caller themselves (the serving
    page, ``plane.ui``: a session cookie instead of the bearer token).
    """

    def __init__(
        self, app: ASGIApp, auth: Authenticator, own_auth: Callable[[str], bool] | None = None
    ) -> None:
        self.app, self.auth = app, auth
        self.own_auth = own_auth or (lambda path: False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS or self.own_auth(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            credential = self.auth.credential(_header(scope, b"authorization"))
            if credential.kind == "data_plane" and not DATA_PLANE_PATH.fullmatch(scope["path"]):
                raise Unauthenticated(
                    "This token is scoped to the data plane of one route-optimized endpoint; "
                    "use it only on that endpoint's route-optimized URL."
                )
        except PlaneError as error:
            await send_error(send, error)
            return
        state = scope.setdefault("state", {})
        state["principal"], state["credential"] = credential.principal, credential
        await self.app(scope, receive, send)


class FaultMiddleware:
    """Applies injected route faults: delay, error status, dropped connection."""

    def __init__(self, app: ASGIApp, faults: FaultRegistry) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = None
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIX):
            fault = self.faults.match_route(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.drop_connection:
            await drop_connection(scope)
        elif fault.status is not None:
            await send_error(send, fault_error(fault, f"{scope['method']} {scope['path']}"))
        else:
            await self.app(scope, receive, send)


def fault_error(fault: Fault, what: str) -> CustomError:
    """The error an injected fault answers with (``Retry-After`` when asked)."""
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    return CustomError(fault.status or 500, fault.code(), fault.text(what), headers=headers)


async def drop_connection(scope: Scope) -> None:
    """Close the TCP connection without answering (in-process: raise ConnectionAbortedError)."""
    transport: Any = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise ConnectionAbortedError("injected fault: connection dropped")
    transport.abort()
    await asyncio.sleep(0)


class BodyLimitMiddleware:
    """Answers 413 for bodies over the limit, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await send_error(send, BodyTooLarge(self.limit))
            return
        started = False
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as error:
            if started:
                raise
            await send_error(send, error)


class TrailingSlashMiddleware:
    """Answers ``/api/.../`` as ``/api/...`` instead of a 307 redirect.

    Starlette redirects a path with a stray trailing slash to an absolute URL built from
    the ``Host`` header, which breaks behind a proxy; the Databricks API answers the call
    itself (the MLflow deployments client sends ``/api/2.0/serving-endpoints/``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/api/") and len(path) > 5 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
            raw = scope.get("raw_path")
            if isinstance(raw, bytes):
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
