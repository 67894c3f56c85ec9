"""Discovery and OAuth routes the SDK probes, and the ``/__plane`` test aids.

``/__plane/*`` (faults, endpoint faults, reset, stats) need the same bearer token as
the API; ``/__plane/health`` and the discovery/OAuth routes are public.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plane.checks import as_object, opt_str
from plane.errors import EntityNotFound, InvalidParameter
from plane.faults import parse_fault
from plane.routes.common import ok, path_param, plane_of, read_json


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def databricks_config(request: Request) -> Response:
    """GET /.well-known/databricks-config: host metadata the SDK reads at start-up."""
    return ok(
        {
            "oidc_endpoint": f"{_base(request)}/oidc",
            "workspace_id": plane_of(request).workspace_id,
            "cloud": "AWS",
        }
    )


async def oauth_metadata(request: Request) -> Response:
    """GET /oidc/.well-known/oauth-authorization-server."""
    base = f"{_base(request)}/oidc"
    return ok(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["code"],
            "scopes_supported": ["all-apis"],
        }
    )


async def issue_token(request: Request) -> Response:
    """POST /oidc/v1/token: OAuth M2M client-credentials grant."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    body = plane_of(request).auth.issue_token(form, request.headers.get("authorization"))
    return ok(body, headers={"Cache-Control": "no-store"})


async def health(request: Request) -> Response:
    """GET /__plane/health: liveness (public)."""
    return ok({"status": "ok"})


async def list_faults(request: Request) -> Response:
    """GET /__plane/faults."""
    return ok({"faults": plane_of(request).faults.list()})


async def add_fault(request: Request) -> Response:
    """POST /__plane/faults: a route fault."""
    return ok(plane_of(request).faults.add(parse_fault(await read_json(request))))


async def clear_faults(request: Request) -> Response:
    """DELETE /__plane/faults."""
    plane_of(request).faults.clear()
    return ok({})


async def endpoint_fault(request: Request) -> Response:
    """POST /__plane/endpoints/{name}/fault: stuck / failed updates, failing queries."""
    plane, name = plane_of(request), path_param(request, "name")
    body = as_object(await read_json(request), "body")
    out: dict[str, object] = {"name": name}
    if body.get("query_status") is not None:
        fault = parse_fault(body, query=True)
        names = plane.store.load_endpoint(name).entity_names()
        if fault.entity is not None and fault.entity not in names:
            raise EntityNotFound(name, fault.entity)
        fault.endpoint = name
        out["query_fault"] = plane.faults.add(fault)
    stuck, failed = body.get("stuck_seconds"), opt_str(body, "update_failed", "")
    if stuck is not None and (isinstance(stuck, bool) or not isinstance(stuck, int | float)):
        raise InvalidParameter("'stuck_seconds' must be a number of seconds.")
    if stuck is not None or failed is not None:
        stuck_s = None if stuck is None else float(stuck)
        out["applies_to"] = plane.store.set_endpoint_fault(name, stuck_s, failed)
    if len(out) == 1:
        raise InvalidParameter("Give 'stuck_seconds', 'update_failed' or 'query_status'.")
    return ok(out)


async def reset(request: Request) -> Response:
    """POST /__plane/reset: back to a fresh plane (system endpoints re-seeded)."""
    plane_of(request).reset()
    return ok({})


async def get_stats(request: Request) -> Response:
    """GET /__plane/stats: request counts per (method, route template)."""
    return ok(plane_of(request).stats.to_api())


async def reset_stats(request: Request) -> Response:
    """DELETE /__plane/stats: counters back to zero."""
    plane_of(request).stats.reset()
    return ok({})


ROUTES = [
    Route("/.well-known/databricks-config", databricks_config, methods=["GET"]),
    Route("/oidc/.well-known/oauth-authorization-server", oauth_metadata, methods=["GET"]),
    Route("/oidc/v1/token", issue_token, methods=["POST"]),
    Route("/__plane/health", health, methods=["GET"]),
    Route("/__plane/faults", list_faults, methods=["GET"]),
    Route("/__plane/faults", add_fault, methods=["POST"]),
    Route("/__plane/faults", clear_faults, methods=["DELETE"]),
    Route("/__plane/endpoints/{name}/fault", endpoint_fault, methods=["POST"]),
    Route("/__plane/reset", reset, methods=["POST"]),
    Route("/__plane/stats", get_stats, methods=["GET"]),
    Route("/__plane/stats", reset_stats, methods=["DELETE"]),
]
