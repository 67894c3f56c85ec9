"""Control-plane routes: create, read, list, delete, config updates and sub-resources."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plane.render import add_query_urls
from plane.routes.common import ok, path_param, plane_of, principal_of, read_json

API = "/api/2.0/serving-endpoints"


async def create_endpoint(request: Request) -> Response:
    """POST /serving-endpoints."""
    body = await read_json(request)
    created = plane_of(request).store.create_endpoint(body, principal_of(request))
    return ok(add_query_urls(created, str(request.base_url), plane_of(request).workspace_id))


async def create_pt_endpoint(request: Request) -> Response:
    """POST /serving-endpoints/pt."""
    body = await read_json(request)
    return ok(plane_of(request).store.create_pt_endpoint(body, principal_of(request)))


async def list_endpoints(request: Request) -> Response:
    """GET /serving-endpoints."""
    return ok(plane_of(request).store.list_endpoints())


async def get_endpoint(request: Request) -> Response:
    """GET /serving-endpoints/{name}."""
    endpoint = plane_of(request).store.get_endpoint(path_param(request, "name"))
    return ok(add_query_urls(endpoint, str(request.base_url), plane_of(request).workspace_id))


async def delete_endpoint(request: Request) -> Response:
    """DELETE /serving-endpoints/{name}."""
    plane_of(request).store.delete_endpoint(path_param(request, "name"))
    return ok({})


async def update_config(request: Request) -> Response:
    """PUT /serving-endpoints/{name}/config."""
    body = await read_json(request)
    name = path_param(request, "name")
    return ok(plane_of(request).store.update_config(name, body, principal_of(request)))


async def update_pt_config(request: Request) -> Response:
    """PUT /serving-endpoints/pt/{name}/config."""
    body = await read_json(request)
    name = path_param(request, "name")
    return ok(plane_of(request).store.update_pt_config(name, body, principal_of(request)))


async def put_ai_gateway(request: Request) -> Response:
    """PUT /serving-endpoints/{name}/ai-gateway."""
    body = await read_json(request)
    return ok(plane_of(request).store.put_ai_gateway(path_param(request, "name"), body))


async def patch_tags(request: Request) -> Response:
    """PATCH /serving-endpoints/{name}/tags."""
    body = await read_json(request)
    return ok(plane_of(request).store.patch_tags(path_param(request, "name"), body))


async def put_rate_limits(request: Request) -> Response:
    """PUT /serving-endpoints/{name}/rate-limits."""
    body = await read_json(request)
    return ok(plane_of(request).store.put_rate_limits(path_param(request, "name"), body))


async def patch_notifications(request: Request) -> Response:
    """PATCH /serving-endpoints/{name}/notifications."""
    body = await read_json(request)
    return ok(plane_of(request).store.patch_notifications(path_param(request, "name"), body))


async def patch_telemetry_config(request: Request) -> Response:
    """PATCH /serving-endpoints/{name}/telemetry-config."""
    body = await read_json(request)
    return ok(plane_of(request).store.patch_telemetry_config(path_param(request, "name"), body))


ROUTES = [
    Route(API, create_endpoint, methods=["POST"]),
    Route(API, list_endpoints, methods=["GET"]),
    Route(f"{API}/pt", create_pt_endpoint, methods=["POST"]),
    Route(f"{API}/pt/{{name}}/config", update_pt_config, methods=["PUT"]),
    Route(f"{API}/{{name}}", get_endpoint, methods=["GET"]),
    Route(f"{API}/{{name}}", delete_endpoint, methods=["DELETE"]),
    Route(f"{API}/{{name}}/config", update_config, methods=["PUT"]),
    Route(f"{API}/{{name}}/ai-gateway", put_ai_gateway, methods=["PUT"]),
    Route(f"{API}/{{name}}/tags", patch_tags, methods=["PATCH"]),
    Route(f"{API}/{{name}}/rate-limits", put_rate_limits, methods=["PUT"]),
    Route(f"{API}/{{name}}/notifications", patch_notifications, methods=["PATCH"]),
    Route(f"{API}/{{name}}/telemetry-config", patch_telemetry_config, methods=["PATCH"]),
]
