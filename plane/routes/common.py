"""Helpers every route module uses: the Plane of a request, JSON bodies, principals."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from plane.errors import MalformedRequest
from plane.services import Plane


def plane_of(request: Request) -> Plane:
    """The ``Plane`` the app was built with."""
    plane: Plane = request.app.state.plane
    return plane


def principal_of(request: Request) -> str:
    """Who is calling (set by the auth middleware)."""
    return str(
        request.scope.get("state", {}).get("principal") or plane_of(request).settings.user_name
    )


async def read_json(request: Request) -> Any:
    """The request body as JSON (an empty body is ``{}``); 400 MALFORMED_REQUEST if invalid."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedRequest(
            f"Invalid JSON given in the body of the request: {exc.__class__.__name__}."
        ) from None
    if not isinstance(body, dict):
        raise MalformedRequest("Invalid JSON given in the body of the request - expected a map.")
    return body


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python's parser accepts them)."""
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number that fits a double (1e309 would silently become infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON response."""
    return JSONResponse(data, status_code=status, headers=headers)


def path_param(request: Request, key: str) -> str:
    """A path parameter as a string."""
    return str(request.path_params[key])
