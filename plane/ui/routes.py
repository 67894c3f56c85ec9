"""Routes of the serving page (see ``plane.ui``): pages, login, the UI's query route."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Message, Receive, Scope, Send

from plane.errors import EndpointNotFound, PlaneError, for_http_status
from plane.inference.params import CHAT
from plane.query import answer_query
from plane.routes.common import read_json
from plane.services import Plane
from plane.ui import views
from plane.ui.session import Sessions, clear_cookie, same_origin, set_cookie

UI_PREFIX = "/ui"
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
"""On every UI answer: scripts only from the plane's own files (a second wall against XSS
after autoescaping), no framing, nothing cached. The referrer policy is ``same-origin``, not
``no-referrer``: under ``no-referrer`` Chromium sends ``Origin: null`` on form POSTs, which
the same-origin check must refuse."""


def owns_path(path: str) -> bool:
    """True for the paths the UI authenticates itself (``/`` and ``/ui/...``)."""
    return path == "/" or path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


def create_ui(plane: Plane) -> SecurityHeaders:
    """The UI app over ``plane``, to mount at ``UI_PREFIX``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False
    )
    app = Starlette(
        routes=[
            Route("/", endpoints_page, methods=["GET"]),
            Route("/login", login_page, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/endpoints/{name}", endpoint_page, methods=["GET"]),
            Route("/playground", playground_page, methods=["GET"]),
            Route("/api/endpoints/{name}/invocations", query, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={PlaneError: _plane_error, HTTPException: _http_error},
    )
    app.state.plane = plane
    app.state.sessions = Sessions(plane.auth, plane.clock)
    app.state.templates = Jinja2Templates(env=env)
    return SecurityHeaders(app)


def root_redirect(request: Request) -> Response:
    """``GET /``: the serving page lives under ``/ui/``."""
    return RedirectResponse(f"{UI_PREFIX}/", status_code=302)


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every answer of the wrapped app; exposes its ``state``."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state
        self.headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- helpers -------------------------------------------------------------------------------


def _plane(request: Request) -> Plane:
    plane: Plane = request.app.state.plane
    return plane


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def _render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, {"prefix": UI_PREFIX, **context}, status)


def _to_login() -> Response:
    return RedirectResponse(f"{UI_PREFIX}/login", status_code=303)


def _forbidden_origin() -> Response:
    body = {
        "error_code": "PERMISSION_DENIED",
        "message": "Cross-origin request refused: the Origin header must be this plane's.",
    }
    return JSONResponse(body, status_code=403)


async def _plane_error(request: Request, exc: Exception) -> Response:
    """A plane error: JSON on the UI's API (as the plane's API), an HTML page elsewhere."""
    assert isinstance(exc, PlaneError)
    if _is_api(request):
        return JSONResponse(exc.to_body(), status_code=exc.status, headers=exc.headers)
    return _error_page(request, exc.status, f"Error {exc.status}", exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    """No such page (404) or method (405): an HTML page with a way back; JSON on the API."""
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if _is_api(request):
        return await _plane_error(request, for_http_status(exc.status_code, method, path))
    titles = {404: "Page not found", 405: "Method not allowed"}
    messages = {404: f"There is no page at {path}.", 405: f"{method} is not allowed on {path}."}
    title = titles.get(exc.status_code, f"Error {exc.status_code}")
    return _error_page(request, exc.status_code, title, messages.get(exc.status_code, exc.detail))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(f"{UI_PREFIX}/api/")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    viewer = _sessions(request).principal(request)
    return _render(request, "error.html", status, viewer=viewer, title=title, message=message)


# -- login ---------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    """The login form (a logged-in viewer goes straight to the endpoints)."""
    if _sessions(request).principal(request) is not None:
        return RedirectResponse(f"{UI_PREFIX}/", status_code=303)
    return _render(request, "login.html")


async def login(request: Request) -> Response:
    """Trade the token of the form for a session cookie; 401 and the form again if refused."""
    if not same_origin(request):
        return _forbidden_origin()
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    session = _sessions(request).login(form.get("token", ""))
    if session is None:
        error = "This token is not accepted by the plane. Use DATABRICKS_TOKEN from plane.env."
        return _render(request, "login.html", status=401, error=error)
    response = RedirectResponse(f"{UI_PREFIX}/", status_code=303)
    set_cookie(response, request, session)
    return response


async def logout(request: Request) -> Response:
    """End the session and drop the cookie."""
    if not same_origin(request):
        return _forbidden_origin()
    _sessions(request).logout(request)
    response = _to_login()
    clear_cookie(response, request)
    return response


# -- pages ---------------------------------------------------------------------------------


async def endpoints_page(request: Request) -> Response:
    """Serving endpoints: one row per endpoint, filtered by ``?q=`` (name or tag words)."""
    viewer = _sessions(request).principal(request)
    if viewer is None:
        return _to_login()
    query = request.query_params.get("q", "")
    rows = [views.endpoint_row(detail) for detail in _details(_plane(request))]
    shown = [row for row in rows if views.matches(row, query)]
    return _render(request, "endpoints.html", viewer=viewer, rows=shown, total=len(rows), q=query)


def _details(plane: Plane) -> list[dict[str, Any]]:
    names = [str(e["name"]) for e in plane.store.list_endpoints()["endpoints"]]
    out = []
    for name in sorted(names):
        try:
            out.append(plane.store.get_endpoint(name))
        except EndpointNotFound:  # deleted between the list and the read
            continue
    return out


async def endpoint_page(request: Request) -> Response:
    """One endpoint: config, gateway, permissions, pending config, history, query."""
    viewer = _sessions(request).principal(request)
    if viewer is None:
        return _to_login()
    plane, name = _plane(request), str(request.path_params["name"])
    try:
        detail = plane.store.get_endpoint(name)
    except EndpointNotFound:
        return _render(request, "missing.html", status=404, viewer=viewer, name=name)
    resource = plane.store.load_endpoint(name)
    return _render(
        request,
        "endpoint.html",
        viewer=viewer,
        row=views.endpoint_row(detail),
        detail=detail,
        pretty=views.pretty,
        permissions=views.permission_rows(plane.store.get_permissions(str(detail["id"]))),
        history=list(reversed(resource.history)),
        when=views.when,
        example=views.example_for(str(detail.get("task") or "")),
        chat=detail.get("task") == CHAT,
    )


async def playground_page(request: Request) -> Response:
    """The playground: pick up to three ready chat endpoints, one prompt."""
    viewer = _sessions(request).principal(request)
    if viewer is None:
        return _to_login()
    chats = views.playground_choices(_details(_plane(request)))
    return _render(request, "playground.html", viewer=viewer, chats=chats, slots=range(3))


# -- the UI's query route ------------------------------------------------------------------


async def query(request: Request) -> Response:
    """``POST /ui/api/endpoints/{name}/invocations``: the API's query, with the cookie."""
    viewer = _sessions(request).principal(request)
    if viewer is None:
        body = {"error_code": "UNAUTHENTICATED", "message": "Log in to the serving page first."}
        return JSONResponse(body, status_code=401)
    if not same_origin(request):
        return _forbidden_origin()
    payload = await read_json(request)
    request.scope.setdefault("state", {})["principal"] = viewer
    return await answer_query(_plane(request), request.scope, request.path_params["name"], payload)
