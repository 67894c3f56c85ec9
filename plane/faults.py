"""Fault injection for tests: failing, slow or dropped requests, and failing entities.

A route fault matches ``"<METHOD> <path pattern>"``: METHOD is a verb or ``*``; in the
pattern ``*`` or ``{anything}`` matches one path segment and ``**`` the rest of the path.
``count`` requests are affected (default 1; 0 = every request until cleared). A query
fault makes queries answered by one served entity (or any, when ``entity`` is omitted)
fail. Everything is in memory; ``clear()`` forgets it all.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from plane.checks import as_object, opt_bool, opt_int, opt_str, req_str
from plane.errors import InvalidParameter

DEFAULT_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "RESOURCE_CONFLICT",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass
class Fault:
    """One injected fault; ``remaining`` None means unlimited."""

    route: str = "* **"
    status: int | None = None
    remaining: int | None = 1
    retry_after: int | None = None
    delay_ms: int = 0
    drop_connection: bool = False
    error_code: str | None = None
    message: str | None = None
    endpoint: str | None = None
    entity: str | None = None
    hits: int = 0
    regex: re.Pattern[str] | None = field(default=None, repr=False)

    def to_api(self) -> dict[str, Any]:
        """The JSON form shown by ``GET /__plane/faults``."""
        out = asdict(self)
        out.pop("regex")
        return {k: v for k, v in out.items() if v is not None}

    def code(self) -> str:
        """The error code to answer with."""
        return self.error_code or DEFAULT_CODES.get(self.status or 500, "INTERNAL_ERROR")

    def text(self, what: str) -> str:
        """The error message to answer with."""
        return self.message or f"Injected fault: {self.status} on {what}."


def compile_route(route: str) -> re.Pattern[str]:
    """Turn ``"GET /api/2.0/serving-endpoints/{name}"`` into a regex over ``"METHOD path"``."""
    method, _, pattern = route.strip().partition(" ")
    if not pattern.startswith("/"):
        raise InvalidParameter(f"'route' must look like 'GET /path/{{name}}', got '{route}'.")
    verb = r"[A-Z]+" if method == "*" else re.escape(method.upper())
    parts = []
    for token in re.split(r"(\*\*|\*|\{[^/}]*\})", pattern):
        if token == "**":
            parts.append(r".*")
        elif token == "*" or (token.startswith("{") and token.endswith("}")):
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(token))
    return re.compile(f"^{verb} {''.join(parts)}/?$")


def parse_fault(body: Any, *, query: bool = False) -> Fault:
    """Validate a fault request body."""
    body = as_object(body, "body")
    count = opt_int(body, "count", "")
    fault = Fault(
        route="* **" if query else req_str(body, "route", ""),
        status=opt_int(body, "query_status" if query else "status", "", minimum=100),
        remaining=None if count == 0 else (count or 1),
        retry_after=opt_int(body, "retry_after", ""),
        delay_ms=opt_int(body, "delay_ms", "") or 0,
        drop_connection=bool(opt_bool(body, "drop_connection", "")),
        error_code=opt_str(body, "error_code", ""),
        message=opt_str(body, "message", ""),
        entity=opt_str(body, "entity", "") if query else None,
    )
    if fault.status is not None and fault.status > 599:
        raise InvalidParameter(f"'status' must be an HTTP status, got {fault.status}.")
    if not query:
        fault.regex = compile_route(fault.route)
    elif fault.status is None:
        raise InvalidParameter("'query_status' is required for a query fault.")
    return fault


class FaultRegistry:
    """The active faults, consulted by the middleware and the query route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> dict[str, Any]:
        """Activate a fault; return its JSON form."""
        with self._lock:
            self._faults.append(fault)
        return fault.to_api()

    def clear(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        """Every active fault in JSON form."""
        with self._lock:
            return [f.to_api() for f in self._faults]

    def match_route(self, method: str, path: str) -> Fault | None:
        """The first route fault matching the request (its count is used up)."""
        target = f"{method} {path}"
        return self._take(lambda f: f.regex is not None and bool(f.regex.match(target)))

    def match_query(self, endpoint: str, entity: str) -> Fault | None:
        """The first query fault for this endpoint and served entity."""
        return self._take(
            lambda f: f.endpoint == endpoint and f.entity in (None, entity) and f.regex is None
        )

    def _take(self, wanted: Callable[[Fault], bool]) -> Fault | None:
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if wanted(fault):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
