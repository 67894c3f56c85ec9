"""Query routes: Databricks invocations and the OpenAI-compatible surface."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plane.errors import InvalidParameter, NoSuchRoute
from plane.query import answer_query, answer_responses
from plane.routes.common import path_param, plane_of, read_json

OPENAI_TASKS = {
    "chat/completions": "llm/v1/chat",
    "completions": "llm/v1/completions",
    "embeddings": "llm/v1/embeddings",
}


async def query(request: Request) -> Response:
    """POST /serving-endpoints/{name}/invocations."""
    body = await read_json(request)
    name = path_param(request, "name")
    return await answer_query(plane_of(request), request.scope, name, body)


async def query_entity(request: Request) -> Response:
    """POST /serving-endpoints/{name}/served-models/{entity}/invocations."""
    body = await read_json(request)
    name, entity = path_param(request, "name"), path_param(request, "entity")
    return await answer_query(plane_of(request), request.scope, name, body, entity=entity)


def _openai(suffix: str) -> Route:
    task = OPENAI_TASKS[suffix]

    async def handler(request: Request) -> Response:
        body = await read_json(request)
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise InvalidParameter("'model' is required: the name of the serving endpoint.")
        return await answer_query(plane_of(request), request.scope, name, body, task=task)

    handler.__doc__ = f"POST /serving-endpoints/{suffix} (OpenAI-compatible, model = endpoint)."
    return Route(f"/serving-endpoints/{suffix}", handler, methods=["POST"])


async def data_plane_query(request: Request) -> Response:
    """POST /{workspace_id}/serving-endpoints/{name}/invocations: a route-optimized URL."""
    plane = plane_of(request)
    if path_param(request, "workspace_id") != plane.workspace_id:
        raise NoSuchRoute(request.method, request.url.path)
    body = await read_json(request)
    name = path_param(request, "name")
    return await answer_query(plane, request.scope, name, body, data_plane=True)


async def responses(request: Request) -> Response:
    """POST /serving-endpoints/responses (OpenAI Responses API, model = chat endpoint)."""
    body = await read_json(request)
    return await answer_responses(plane_of(request), request.scope, body)


ROUTES = [
    *(_openai(suffix) for suffix in OPENAI_TASKS),
    Route("/serving-endpoints/responses", responses, methods=["POST"]),
    Route(
        "/{workspace_id}/serving-endpoints/{name}/invocations", data_plane_query, methods=["POST"]
    ),
    Route("/serving-endpoints/{name}/invocations", query, methods=["POST"]),
    Route(
        "/serving-endpoints/{name}/served-models/{entity}/invocations",
        query_entity,
        methods=["POST"],
    ),
]
