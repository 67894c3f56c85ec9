"""The serving page: a small web UI of the local plane (endpoints, query, playground).

``create_ui(plane)`` returns a Starlette app that ``plane.app`` mounts at ``/ui``
(``/`` redirects there). Pages are Jinja2 templates with autoescaping; the JavaScript in
``static/`` is plain (no build step, no CDN). The UI checks its own callers with a
session cookie (``plane.ui.session``); the API keeps its bearer auth, and the UI's
scripts query endpoints through ``POST /ui/api/endpoints/{name}/invocations``, which
takes the cookie and the same-origin check instead of a token.

    GET  /ui/login, POST /ui/login, POST /ui/logout
    GET  /ui/                     serving endpoints (``?q=`` filters by name / tag)
    GET  /ui/endpoints/{name}     config, gateway, permissions, pending config, history, query
    GET  /ui/playground           up to three chat endpoints side by side
    POST /ui/api/endpoints/{name}/invocations   the query (JSON or SSE stream), as the API
    GET  /ui/static/...           CSS and JS (public: no data in them)
"""

from __future__ import annotations

from plane.ui.routes import UI_PREFIX, create_ui, owns_path, root_redirect

__all__ = ["UI_PREFIX", "create_ui", "owns_path", "root_redirect"]
