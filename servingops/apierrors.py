"""How the control plane's answers are read: the error table, error bodies, query results.

``ERROR_TABLE`` is the one place that maps an HTTP status and ``error_code`` to a
``servingops.errors`` class and a hint (most specific row first); ``ControlPlaneClient``
raises whatever ``map_error`` picks. The helpers here turn any answer — JSON error,
HTML page, empty body — into a short, redacted message.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from servingops.errors import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unauthenticated,
)
from servingops.redact import MASK, redact_text

__all__ = ["ERROR_TABLE", "ErrorRule", "QueryResult", "map_error"]

PLANE_HINT = "`make demo` starts the local plane; `servingops plane` prints DATABRICKS_HOST"
HOST_HINT = "an unexpected answer: check DATABRICKS_HOST points at a workspace or the local plane"


@dataclass(frozen=True)
class ErrorRule:
    """One row of the error-mapping table; ``None`` matches anything."""

    statuses: range | None
    code: str | None
    error: type[ApiError]
    hint: str
    op: str | None = None


def _s(status: int) -> range:
    return range(status, status + 1)


_OAUTH_OP = "fetch_oauth_token"
_OAUTH_HINT = (
    "check DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET (OAuth M2M) and that the "
    "service principal exists"
)
_EXCHANGE_OP = "exchange_data_plane_token"
_EXCHANGE_HINT = (
    "route-optimized endpoints are queried with OAuth M2M: set DATABRICKS_CLIENT_ID/SECRET; "
    "the token exchange takes only an OAuth access token"
)
_TAKEN_HINT = "the name is taken: pick another name, or import the existing endpoint"
_ROUTE_HINT = "the server does not know this API route: check DATABRICKS_HOST"
_MISSING_HINT = "run `servingops drift` / does the endpoint exist? check the name and host"
_AUTH_HINT = "check DATABRICKS_TOKEN / client credentials (DATABRICKS_CLIENT_ID/SECRET)"
_PERMISSION_HINT = (
    "the caller needs CAN_MANAGE on the endpoint (CAN_QUERY to query); "
    "a rate limit of 0 calls also disables an endpoint"
)
_THROTTLE_HINT = "throttled: retry later, or raise the endpoint's rate limits"
_PAYLOAD_HINT = "the control plane rejected the payload: run `servingops validate` on the file"
_ACL_OP = "set_permissions"
_PRINCIPAL_HINT = (
    "a principal in the file's `permissions` is not in this workspace (or a level is "
    "unknown): users by e-mail, groups by display name, service principals by application "
    "id (a UUID, not the display name)"
)
_BUSY_HINT = "another config update is still running: wait for it to finish, then retry"
_TRANSIENT_HINT = "a transient control-plane failure: retry later; if it persists, check status"
_REFUSED_HINT = "the control plane refused the request: check DATABRICKS_HOST and the payload"

# fmt: off
ERROR_TABLE: tuple[ErrorRule, ...] = tuple(ErrorRule(*row) for row in (
    # statuses         error_code                  error class        hint, operation
    (range(400, 500),  None,                       Unauthenticated,   _OAUTH_HINT, _OAUTH_OP),
    (range(400, 500),  None,                       Unauthenticated,   _EXCHANGE_HINT, _EXCHANGE_OP),
    (_s(409),          "RESOURCE_ALREADY_EXISTS",  Conflict,          _TAKEN_HINT),
    (_s(404),          "ENDPOINT_NOT_FOUND",       NotFound,          _ROUTE_HINT),
    (None,             "RESOURCE_DOES_NOT_EXIST",  NotFound,          _MISSING_HINT),
    (None,             "UNAUTHENTICATED",          Unauthenticated,   _AUTH_HINT),
    (None,             "PERMISSION_DENIED",        PermissionDenied,  _PERMISSION_HINT),
    (None,             "REQUEST_LIMIT_EXCEEDED",   RateLimited,       _THROTTLE_HINT),
    (_s(400),          None,                       BadRequest,        _PRINCIPAL_HINT, _ACL_OP),
    (_s(400),          None,                       BadRequest,        _PAYLOAD_HINT),
    (_s(401),          None,                       Unauthenticated,   _AUTH_HINT),
    (_s(403),          None,                       PermissionDenied,  _PERMISSION_HINT),
    (_s(404),          None,                       NotFound,          _MISSING_HINT),
    (_s(409),          None,                       Conflict,          _BUSY_HINT),
    (_s(429),          None,                       RateLimited,       _THROTTLE_HINT),
    (range(500, 600),  None,                       ServerError,       _TRANSIENT_HINT),
    (range(400, 500),  None,                       BadRequest,        _REFUSED_HINT),
    (None,             None,                       ServerError,       HOST_HINT),
))
# fmt: on
"""(status, error_code[, operation]) -> error class and hint; the first matching row wins."""


def map_error(status: int, code: str = "", op: str = "") -> ErrorRule:
    """The first ``ERROR_TABLE`` row matching the status, error code and operation."""
    for rule in ERROR_TABLE:
        if (
            (rule.statuses is None or status in rule.statuses)
            and (rule.code is None or rule.code == code)
            and (rule.op is None or rule.op == op)
        ):
            return rule
    raise AssertionError("ERROR_TABLE ends with a catch-all row")  # pragma: no cover


@dataclass
class QueryResult:
    """What an invocation answered; HTTP error statuses are data here, not exceptions.

    Not frozen, so it satisfies attribute protocols such as ``smoke.QueryAnswer``.
    """

    status: int
    """HTTP status."""
    json: Any
    """The parsed JSON body, or ``None`` if the body is not JSON."""
    text: str
    """A redacted excerpt of a non-JSON body (``""`` when the body is JSON)."""
    served_model_name: str | None
    """The ``served-model-name`` header: the served entity that answered."""
    latency_ms: float
    """Time from sending the request to the full answer, in milliseconds."""
    retry_after: float | None = None
    """Seconds the server asked to wait (``Retry-After``) before trying again, if it did."""

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str:
        """The ``error_code`` of a JSON error body, else ``""``."""
        return error_fields(self.json)[0] if isinstance(self.json, dict) else ""

    @property
    def error_message(self) -> str:
        """The server's message for an error body (JSON ``message`` or the text excerpt)."""
        if isinstance(self.json, dict):
            return redact_text(error_fields(self.json)[1])
        return self.text


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds the ``Retry-After`` header asks to wait (never negative); ``None`` if absent
    or unreadable.

    The header holds seconds or an HTTP date (RFC 9110 §10.2.3); a date is measured from
    the answer's ``Date`` header (the server's clock), else from the local UTC time.
    """
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return _seconds_until(raw, response.headers.get("Date"))


def _seconds_until(when: str, date: str | None) -> float | None:
    """Seconds from ``date`` (or now) until the HTTP date ``when``; ``None`` if unreadable."""
    try:
        target = parsedate_to_datetime(when)
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
    except (TypeError, ValueError, IndexError):
        return None
    if target.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (target - now).total_seconds())


def describe(outcome: httpx.Response | httpx.TransportError) -> str:
    if isinstance(outcome, httpx.TransportError):
        return type(outcome).__name__
    code = error_info(outcome, ())[0]
    return f"{outcome.status_code} {code}".strip()


def error_fields(body: Mapping[str, Any]) -> tuple[str, str]:
    nested = body.get("error")
    if isinstance(nested, Mapping):
        return str(nested.get("code") or ""), str(nested.get("message") or "")
    code = body.get("error_code") or (nested if isinstance(nested, str) else "")
    message = body.get("message") or body.get("error_description") or body.get("detail") or ""
    return str(code), str(message)


def error_info(response: httpx.Response, secrets: tuple[str, ...]) -> tuple[str, str]:
    """``(error_code, redacted message)`` of an error answer, JSON or not."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return "", body_excerpt(response.text, secrets)
    if not isinstance(body, Mapping):
        return "", clip(redact_text(json.dumps(body), secrets))
    code, message = error_fields(body)
    text = clip(redact_text(message or json.dumps(body, sort_keys=True), secrets))
    return clip(redact_text(code, secrets), 100), text


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters (always after redaction, never before)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.I | re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def body_excerpt(text: str, secrets: tuple[str, ...], limit: int = 300) -> str:
    """A short, redacted, single-line excerpt of a non-JSON body (HTML reduced to its title)."""
    if "<" in text and ">" in text:
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", _SCRIPT.sub(" ", text))
    flat = redact_text(" ".join(text.split()), secrets)
    return clip(flat, limit) if flat else "(empty body)"


def query_result(
    response: httpx.Response, latency_s: float, secrets: tuple[str, ...]
) -> QueryResult:
    """An invocation's answer as data; the body's strings have ``secrets`` masked."""
    try:
        body, text = mask_secrets(response.json(), secrets), ""
    except (ValueError, RecursionError):
        body, text = None, body_excerpt(response.text, secrets)
    return QueryResult(
        status=response.status_code,
        json=body,
        text=text,
        served_model_name=response.headers.get("served-model-name"),
        latency_ms=latency_s * 1000.0,
        retry_after=retry_after_seconds(response),
    )


def mask_secrets(value: Any, secrets: tuple[str, ...]) -> Any:
    """A copy of JSON ``value`` in which every string has each secret replaced by ``MASK``.

    Only the exact secrets are masked (an answer's text is otherwise left as it is).
    """
    if isinstance(value, str):
        for secret in sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True):
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, list):
        return [mask_secrets(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: mask_secrets(item, secrets) for key, item in value.items()}
    return value


def hint(rule: ErrorRule, response: httpx.Response) -> str:
    wait = retry_after_seconds(response)
    if wait is not None and rule.error in (RateLimited, ServerError):
        return f"{rule.hint} (the server asked to wait {wait:g} s)"
    return rule.hint


def transport_hint(err: httpx.TransportError, knob: str, seconds: float) -> str:
    """What to do about a request that got no answer; ``knob`` names the timeout setting
    that applied (``servingops:httpTimeoutSeconds / SERVINGOPS_HTTP_TIMEOUT`` …) and
    ``seconds`` its value."""
    plane = f"is the local plane running? {PLANE_HINT}; otherwise check DATABRICKS_HOST"
    if isinstance(err, httpx.ConnectError):
        return _connect_cause_hint(err) or plane
    if isinstance(err, httpx.ConnectTimeout):
        return f"{plane}; if the host is just slow, raise {knob} (now {seconds:g} s)"
    if isinstance(err, httpx.TimeoutException):
        return f"no answer within {seconds:g} s: retry, or raise {knob}"
    return "the connection dropped: retry; if it persists, check DATABRICKS_HOST and proxies"


def _connect_cause_hint(err: httpx.ConnectError) -> str:
    """A hint for the two connect failures whose cause is certain: a host name that does
    not resolve (``socket.gaierror``) and a TLS handshake that failed (``ssl.SSLError``,
    e.g. https:// to a port speaking plain http); "" for any other cause."""
    cause: BaseException | None = err
    for _ in range(10):  # httpx.ConnectError <- httpcore.ConnectError <- the OS error
        if cause is None:
            break
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve: check DATABRICKS_HOST for a typo (and DNS)"
        if isinstance(cause, ssl.SSLError):
            return (
                "the TLS handshake failed: does the host speak plain http (the local plane"
                " does: use http://), or does a proxy intercept TLS?"
            )
        cause = cause.__cause__ or cause.__context__
    return ""
