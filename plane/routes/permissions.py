"""Permissions API routes for serving endpoints, keyed by the endpoint's **id**:
``GET``, ``PUT`` (replace the direct entries), ``PATCH`` (add / change entries) and
``GET …/permissionLevels`` (control-plane-api.md §1)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plane import permissions
from plane.routes.common import ok, path_param, plane_of, read_json

PERMISSIONS = "/api/2.0/permissions/serving-endpoints"


async def get_permissions(request: Request) -> Response:
    """GET /permissions/serving-endpoints/{id}: direct entries plus the inherited admins."""
    return ok(plane_of(request).store.get_permissions(path_param(request, "id")))


async def set_permissions(request: Request) -> Response:
    """PUT (replace) or PATCH (merge) /permissions/serving-endpoints/{id}; 400 for an
    unknown level or principal."""
    body = await read_json(request)
    merge = request.method == "PATCH"
    return ok(plane_of(request).store.set_permissions(path_param(request, "id"), body, merge=merge))


async def get_permission_levels(request: Request) -> Response:
    """GET /permissions/serving-endpoints/{id}/permissionLevels."""
    plane_of(request).store.get_permissions(path_param(request, "id"))
    return ok(permissions.render_levels())


ROUTES = [
    Route(f"{PERMISSIONS}/{{id}}/permissionLevels", get_permission_levels, methods=["GET"]),
    Route(f"{PERMISSIONS}/{{id}}", get_permissions, methods=["GET"]),
    Route(f"{PERMISSIONS}/{{id}}", set_permissions, methods=["PUT", "PATCH"]),
]
