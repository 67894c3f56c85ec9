"""Who is looking at the serving page: login sessions in a cookie, and the CSRF check.

The login form takes the plane's token (or an OAuth-issued one) and trades it for a
random session id kept in memory; the cookie carries only that id, never the token.
The cookie is ``HttpOnly``, ``SameSite=Strict`` and ``Path=/``; its name carries the
plane's port (``cookie_name``) because browsers scope cookies by host, not port (RFC 6265
§8.5), and two planes on 127.0.0.1 must not overwrite each other's session.
State-changing requests (every POST) must also carry an ``Origin`` header equal
to the page's own origin: with SameSite=Strict this is the OWASP "verify origin" defence,
no CSRF token needed. Sessions end at logout, after ``SESSION_SECONDS`` (or when the
OAuth token they were opened with expires, if sooner), or when the plane restarts.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from plane.auth import Authenticator
from plane.errors import PlaneError
from plane.settings import Clock

COOKIE = "servingops_plane_session"
"""Prefix of the session cookie's name; ``cookie_name`` appends the port."""
SESSION_SECONDS = 8 * 3600


@dataclass
class Sessions:
    """Live UI sessions: id → (principal, expiry in epoch seconds)."""

    auth: Authenticator
    clock: Clock
    _live: dict[str, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def login(self, token: str) -> str | None:
        """A new session id for a token the plane accepts, else None (no reason given).

        The session ends after ``SESSION_SECONDS``, or when the token expires if sooner
        (an OAuth access token: the page stays open no longer than the token opens the API).
        """
        try:
            principal, token_expiry = self.auth.identify(f"Bearer {token.strip()}")
        except PlaneError:
            return None
        expiry = self.clock() + SESSION_SECONDS
        if token_expiry is not None:
            expiry = min(expiry, token_expiry)
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            self._live[session] = (principal, expiry)
        return session

    def count(self) -> int:
        """How many sessions are kept (expired ones go at the next login)."""
        with self._lock:
            return len(self._live)

    def _forget_expired(self) -> None:
        """Drop every expired session (the caller holds the lock)."""
        now = self.clock()
        for session in [s for s, (_, expiry) in self._live.items() if expiry <= now]:
            del self._live[session]

    def principal(self, request: Request) -> str | None:
        """The principal of the request's session cookie; None if absent, unknown or expired."""
        session = request.cookies.get(cookie_name(request))
        if not session:
            return None
        with self._lock:
            found = self._live.get(session)
            if found is not None and found[1] <= self.clock():
                del self._live[session]
                found = None
        return None if found is None else found[0]

    def logout(self, request: Request) -> None:
        """Forget the request's session (no error if there is none)."""
        with self._lock:
            self._live.pop(request.cookies.get(cookie_name(request), ""), None)


def cookie_name(request: Request) -> str:
    """``servingops_plane_session_<port>``: the port the browser reached the plane on (80 or
    443 when the URL names none)."""
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    return f"{COOKIE}_{port}"


def set_cookie(response: Response, request: Request, session: str) -> None:
    """Send the session cookie: HttpOnly, SameSite=Strict, Path=/, for SESSION_SECONDS."""
    response.set_cookie(
        cookie_name(request),
        session,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request) -> None:
    """Tell the browser to drop the session cookie."""
    response.delete_cookie(cookie_name(request), path="/", httponly=True, samesite="strict")


def same_origin(request: Request) -> bool:
    """True when the request's ``Origin`` is the plane's own (scheme, host and port)."""
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host:
        return False
    return origin == f"{request.url.scheme}://{host}"
