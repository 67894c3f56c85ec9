"""Build the plane's ASGI app: ``create_app(db_path, settings=..., clock=...)``.

    app = create_app(tmp_path / "plane.sqlite", settings=PlaneSettings(token="t"))
    client = starlette.testclient.TestClient(app)   # or serve it with uvicorn

``app.state.plane`` is the ``Plane`` (store, faults, stats...) behind the routes. Every
response carries ``x-databricks-org-id``: ``settings.workspace_id`` if set, else the id
stored in the SQLite file (generated when the file is new).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from plane import ui
from plane.auth import Authenticator
from plane.db import Database
from plane.errors import CustomError, PlaneError, for_http_status
from plane.middleware import (
    ORG_ID_HEADER,
    AuthMiddleware,
    BodyLimitMiddleware,
    FaultMiddleware,
    StatsMiddleware,
    TrailingSlashMiddleware,
    WorkspaceHeaderMiddleware,
)
from plane.routes import admin, control, extra, identity, permissions, query
from plane.routes.common import plane_of
from plane.services import Plane
from plane.settings import Clock, PlaneSettings, system_clock
from plane.store import EndpointStore


def build_plane(db_path: str | Path, settings: PlaneSettings, clock: Clock) -> Plane:
    """Open the database and wire store, auth and the in-memory services."""
    db = Database(db_path)
    store = EndpointStore(db, settings, clock)
    return Plane(
        settings=settings,
        clock=clock,
        store=store,
        auth=Authenticator(settings, db, clock),
        workspace_id=settings.workspace_id or db.workspace_id,
    )


def create_app(
    db_path: str | Path,
    *,
    settings: PlaneSettings | None = None,
    clock: Clock = system_clock,
) -> Starlette:
    """The plane as a Starlette app over the SQLite file ``db_path`` (``":memory:"`` works)."""
    settings = settings or PlaneSettings()
    plane = build_plane(db_path, settings, clock)
    routes: list[BaseRoute] = [
        *admin.ROUTES,
        *extra.ROUTES,
        *permissions.ROUTES,
        *control.ROUTES,
        *query.ROUTES,
        *identity.ROUTES,
    ]
    routes += [Route("/", ui.root_redirect), Mount(ui.UI_PREFIX, ui.create_ui(plane))]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        plane.http.close()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrailingSlashMiddleware),
            Middleware(WorkspaceHeaderMiddleware, workspace_id=plane.workspace_id),
            Middleware(StatsMiddleware, stats=plane.stats, routes=routes),
            Middleware(AuthMiddleware, auth=plane.auth, own_auth=ui.owns_path),
            Middleware(FaultMiddleware, faults=plane.faults),
            Middleware(BodyLimitMiddleware, limit=settings.max_body_bytes),
        ],
        exception_handlers={
            PlaneError: _plane_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # a stray slash is answered, never redirected
    app.state.plane = plane
    return app


async def _plane_error(request: Request, exc: Exception) -> Response:
    error = exc if isinstance(exc, PlaneError) else CustomError(500, "INTERNAL_ERROR", str(exc))
    return JSONResponse(error.to_body(), status_code=error.status, headers=error.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = str(getattr(exc, "detail", ""))
    error = for_http_status(status, request.method, request.url.path, detail)
    return JSONResponse(error.to_body(), status_code=error.status)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug in the plane: answer JSON 500 (the traceback goes to the server log only).

    Starlette sends this answer from outside every middleware, so the workspace header
    is added here.
    """
    error = CustomError(
        500,
        "INTERNAL_ERROR",
        f"Internal error in the local plane ({exc.__class__.__name__}) on "
        f"{request.method} {request.url.path}; see the plane's log.",
    )
    headers = {ORG_ID_HEADER: plane_of(request).workspace_id}
    return JSONResponse(error.to_body(), status_code=500, headers=headers)
