"""Read-mostly routes: logs, metrics, OpenAPI, model-optimization info (permissions:
``plane.routes.permissions``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from plane.routes.common import ok, path_param, plane_of

API = "/api/2.0/serving-endpoints"


async def build_logs(request: Request) -> Response:
    """GET /serving-endpoints/{name}/served-models/{served}/build-logs."""
    name, served = path_param(request, "name"), path_param(request, "served")
    return ok(plane_of(request).store.get_logs(name, served, "build"))


async def logs(request: Request) -> Response:
    """GET /serving-endpoints/{name}/served-models/{served}/logs."""
    name, served = path_param(request, "name"), path_param(request, "served")
    return ok(plane_of(request).store.get_logs(name, served, "server"))


async def export_metrics(request: Request) -> Response:
    """GET /serving-endpoints/{name}/metrics (OpenMetrics text)."""
    plane = plane_of(request)
    name = path_param(request, "name")
    plane.store.load_endpoint(name)  # 404 for an unknown endpoint
    text = plane.metrics.render(name)
    return PlainTextResponse(text, media_type="application/openmetrics-text; version=1.0.0")


async def get_open_api(request: Request) -> Response:
    """GET /serving-endpoints/{name}/openapi."""
    name = path_param(request, "name")
    return ok(plane_of(request).store.get_open_api(name, str(request.base_url)))


async def get_model_optimization_info(request: Request) -> Response:
    """GET /serving-endpoints/get-model-optimization-info/{model}/{version}."""
    model, version = path_param(request, "model"), path_param(request, "version")
    return ok(plane_of(request).store.get_model_optimization_info(model, version))


ROUTES = [
    Route(
        f"{API}/get-model-optimization-info/{{model}}/{{version}}",
        get_model_optimization_info,
        methods=["GET"],
    ),
    Route(f"{API}/{{name}}/served-models/{{served}}/build-logs", build_logs, methods=["GET"]),
    Route(f"{API}/{{name}}/served-models/{{served}}/logs", logs, methods=["GET"]),
    Route(f"{API}/{{name}}/metrics", export_metrics, methods=["GET"]),
    Route(f"{API}/{{name}}/openapi", get_open_api, methods=["GET"]),
]
