"""Answering a query: endpoint lookup, rate limits, traffic split, faults, the engine, fallback.

The engine (``plane.inference.run_query``) is synchronous and may forward over HTTP,
so it runs in the thread pool; for streams the first chunk is fetched there too, so an
error before any output still gets a proper status.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Scope

from plane.errors import (
    CustomError,
    EntityNotFound,
    InvalidParameter,
    PermissionDenied,
    PlaneError,
)
from plane.gateway import pick_entities
from plane.inference import QueryContext, QueryError, run_query
from plane.inference.params import CHAT
from plane.inference.responses_api import to_chat_request, to_response
from plane.inference.responses_stream import response_events
from plane.inference.tabular import CUSTOM
from plane.middleware import drop_connection, fault_error
from plane.resource import EndpointResource, StoredConfig
from plane.services import Plane

Answer = dict[str, Any] | tuple[bytes | None, Iterator[bytes]]


async def answer_query(
    plane: Plane,
    scope: Scope,
    name: str,
    body: dict[str, Any],
    *,
    entity: str | None = None,
    task: str | None = None,
    shape: Callable[[Answer], Answer] | None = None,
    data_plane: bool = False,
) -> Response:
    """Answer ``body`` on endpoint ``name`` (one served ``entity``; or OpenAI route ``task``).

    ``shape`` turns the engine's answer into the route's own (the Responses API);
    ``data_plane`` is true on a route-optimized URL (see ``_check_route``).
    """
    endpoint, config = plane.store.query_target(name)
    _check_route(endpoint, scope, data_plane)
    endpoint_task = _task_of(endpoint, task)
    principal = str(scope.get("state", {}).get("principal") or plane.settings.user_name)
    plane.store.check_can_query(endpoint, principal)
    limits = _limits(endpoint)
    plane.limiter.admit(name, limits, principal)
    candidates = _candidates(plane, config, name, entity)
    fallback = entity is None and _fallback_enabled(endpoint)
    error: PlaneError | None = None
    for candidate in candidates if fallback else candidates[:1]:
        try:
            answer = await _answer_one(plane, scope, name, endpoint_task, candidate, body)
        except PlaneError as failed:
            if not (fallback and _retryable(failed)):
                raise
            error = failed
            continue
        _charge(plane, name, limits, principal, answer)
        return _respond(shape(answer) if shape else answer, str(candidate["name"]))
    assert error is not None
    raise error


def _check_route(endpoint: EndpointResource, scope: Scope, data_plane: bool) -> None:
    """A route-optimized endpoint is queried only on its route-optimized URL, with an OAuth
    token (a data-plane token must be the one exchanged for this endpoint); the workspace
    URL is refused, as for endpoints created after 2025-09-22 (plane/README.md)."""
    name = endpoint.name
    credential = scope.get("state", {}).get("credential")
    if not data_plane:
        if endpoint.route_optimized:
            raise CustomError(
                400,
                "BAD_REQUEST",
                f"Endpoint '{name}' is route-optimized: query it at its route-optimized URL "
                "(data_plane_info.query_info.endpoint_url) with an OAuth token; the "
                "workspace URL is not supported for it.",
            )
        return
    if not endpoint.route_optimized:
        raise CustomError(
            400,
            "BAD_REQUEST",
            f"Endpoint '{name}' is not route-optimized; query it at "
            f"/serving-endpoints/{name}/invocations on the workspace URL.",
        )
    kind = getattr(credential, "kind", "pat")
    if kind == "pat":
        raise PermissionDenied(
            f"Route-optimized endpoint '{name}' accepts only OAuth tokens; personal access "
            "tokens are not supported."
        )
    if kind == "data_plane" and getattr(credential, "endpoint_id", None) != endpoint.id:
        raise PermissionDenied(
            f"This data-plane token was issued for another endpoint, not for '{name}'."
        )


def _task_of(endpoint: EndpointResource, wanted: str | None) -> str:
    name, task = endpoint.name, endpoint.task
    if not task and wanted is not None:
        raise InvalidParameter(
            f"Endpoint '{name}' serves a custom model; query it at "
            f"/serving-endpoints/{name}/invocations with dataframe_records, dataframe_split, "
            "instances or inputs."
        )
    if not task:
        return CUSTOM
    if wanted is not None and task != wanted:
        route = {"llm/v1/chat": "chat/completions", "llm/v1/completions": "completions"}
        path = route.get(task, "embeddings")
        raise CustomError(
            400,
            "BAD_REQUEST",
            f"Endpoint '{name}' serves {task}, not {wanted}; send this request to "
            f"/serving-endpoints/{path}.",
        )
    return task


def _limits(endpoint: EndpointResource) -> list[dict[str, Any]]:
    gateway = (endpoint.ai_gateway or {}).get("rate_limits") or []
    return list(gateway) + list(endpoint.rate_limits)


def _fallback_enabled(endpoint: EndpointResource) -> bool:
    return bool(((endpoint.ai_gateway or {}).get("fallback_config") or {}).get("enabled"))


def _retryable(error: PlaneError) -> bool:
    return error.status >= 500 or error.status == 429


def _candidates(
    plane: Plane, config: StoredConfig, name: str, entity: str | None
) -> list[dict[str, Any]]:
    if entity is None:
        return pick_entities(config, plane.rng, name)
    for served in config.served_entities:
        if served["name"] == entity:
            return [served]
    raise EntityNotFound(name, entity)


async def _answer_one(
    plane: Plane, scope: Scope, name: str, task: str, entity: dict[str, Any], body: dict[str, Any]
) -> Answer:
    started = time.perf_counter()
    try:
        await _apply_fault(plane, scope, name, str(entity["name"]))
        ctx = QueryContext(name, task, entity, http=plane.http, forward=plane.settings.forward)
        answer = await run_in_threadpool(_run, ctx, body)
    except PlaneError as error:
        plane.metrics.record(name, str(entity["name"]), error.status, time.perf_counter() - started)
        raise
    plane.metrics.record(name, str(entity["name"]), 200, time.perf_counter() - started)
    return answer


async def _apply_fault(plane: Plane, scope: Scope, name: str, entity: str) -> None:
    fault = plane.faults.match_query(name, entity)
    if fault is None:
        return
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.drop_connection:
        await drop_connection(scope)
    raise fault_error(fault, f"query of served entity '{entity}' of endpoint '{name}'")


def _run(ctx: QueryContext, body: dict[str, Any]) -> Answer:
    try:
        result = run_query(ctx, body)
        if isinstance(result, dict):
            return result
        return next(result, None), result
    except QueryError as error:
        raise CustomError(error.status, error.error_code, error.message) from error


def _charge(
    plane: Plane, name: str, limits: list[dict[str, Any]], principal: str, answer: Answer
) -> None:
    if not isinstance(answer, dict) or not any(lim.get("tokens") is not None for lim in limits):
        return
    used = int((answer.get("usage") or {}).get("total_tokens") or 0)
    plane.limiter.add_tokens(name, limits, principal, used)


def _respond(answer: Answer, entity: str) -> Response:
    headers = {"served-model-name": entity}
    if isinstance(answer, dict):
        return JSONResponse(answer, headers=headers)
    first, rest = answer
    return StreamingResponse(_stream(first, rest), media_type="text/event-stream", headers=headers)


def _stream(first: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first is not None:
        yield first
    try:
        yield from rest
    except QueryError as error:
        yield b"data: " + json.dumps(error.to_api()).encode() + b"\n\n"


async def answer_responses(plane: Plane, scope: Scope, body: dict[str, Any]) -> Response:
    """``POST /serving-endpoints/responses``: the OpenAI Responses API on a chat endpoint."""
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise InvalidParameter("'model' is required: the name of the serving endpoint.")
    try:
        chat = to_chat_request(body)
    except QueryError as error:
        raise CustomError(error.status, error.error_code, error.message) from error
    stream = bool(body.get("stream"))

    def shape(answer: Answer) -> Answer:
        assert isinstance(answer, dict)  # the chat request is never streamed
        response = to_response(answer, body)
        return (None, response_events(response)) if stream else response

    return await answer_query(plane, scope, name, chat, task=CHAT, shape=shape)
