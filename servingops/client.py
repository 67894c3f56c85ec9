"""The control-plane HTTP client: the only module that speaks HTTP to the serving API.

``ControlPlaneClient`` has one method per API operation (control-plane-api.md §1), each
taking and returning plain JSON dicts; the spec layer converts. It works unchanged
against a Databricks workspace and against the local plane.

Behaviour every method shares:

- **Errors:** one table, ``ERROR_TABLE``, maps (status, error_code) to a
  ``servingops.errors`` class, most specific row first. Messages name the operation,
  endpoint, method, URL, status, error code and the server's message, with secrets
  redacted, and carry a hint.
- **Retries:** 429, 500, 502, 503, 504 and connection failures are retried with a
  linear backoff (1, 2, … 10 s plus up to 1 s of jitter, like the Databricks SDK) or the
  server's ``Retry-After``, within ``max_retries`` and ``retry_deadline_s``. Read
  timeouts and dropped connections are retried only for idempotent methods (a create is
  a POST). ``query_endpoint`` never retries an HTTP status: the smoke checker judges it.
- **Update in progress:** on writes to an existing endpoint a 409 other than
  ``RESOURCE_ALREADY_EXISTS`` means another update is running; it is waited out, polling
  with backoff for up to ``conflict_wait_s``. A 409 on create is never retried.

Do not keep a client (or its credentials) on an object that Pulumi pickles: build one
inside each provider call with ``ControlPlaneClient.from_env()``; pickling one fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from random import Random
from types import TracebackType
from typing import Any, NoReturn, Protocol
from urllib.parse import quote

import httpx

from servingops import __version__
from servingops.auth import Auth, make_auth, resolve_credentials
from servingops.clock import Clock, RealClock
from servingops.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ControlPlaneUnreachable,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unauthenticated,
)
from servingops.redact import redact_text, secret_values

__all__ = ["ERROR_TABLE", "ControlPlaneClient", "ErrorRule", "QueryResult", "map_error"]

API = "/api/2.0/serving-endpoints"
USER_AGENT = f"servingops/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ALWAYS_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_PLANE_HINT = "`make demo` starts the local plane; `servingops plane` prints DATABRICKS_HOST"
_HOST_HINT = "an unexpected answer: check DATABRICKS_HOST points at a workspace or the local plane"


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
_BUSY_HINT = "another config update is still running: wait for it to finish, then retry"
_TRANSIENT_HINT = "a transient control-plane failure: retry later; if it persists, check status"
_REFUSED_HINT = "the control plane refused the request: check DATABRICKS_HOST and the payload"

# fmt: off
ERROR_TABLE: tuple[ErrorRule, ...] = tuple(ErrorRule(*row) for row in (
    # statuses         error_code                  error class        hint, operation
    (range(400, 500),  None,                       Unauthenticated,   _OAUTH_HINT, _OAUTH_OP),
    (_s(409),          "RESOURCE_ALREADY_EXISTS",  Conflict,          _TAKEN_HINT),
    (_s(404),          "ENDPOINT_NOT_FOUND",       NotFound,          _ROUTE_HINT),
    (None,             "RESOURCE_DOES_NOT_EXIST",  NotFound,          _MISSING_HINT),
    (None,             "UNAUTHENTICATED",          Unauthenticated,   _AUTH_HINT),
    (None,             "PERMISSION_DENIED",        PermissionDenied,  _PERMISSION_HINT),
    (None,             "REQUEST_LIMIT_EXCEEDED",   RateLimited,       _THROTTLE_HINT),
    (_s(400),          None,                       BadRequest,        _PAYLOAD_HINT),
    (_s(401),          None,                       Unauthenticated,   _AUTH_HINT),
    (_s(403),          None,                       PermissionDenied,  _PERMISSION_HINT),
    (_s(404),          None,                       NotFound,          _MISSING_HINT),
    (_s(409),          None,                       Conflict,          _BUSY_HINT),
    (_s(429),          None,                       RateLimited,       _THROTTLE_HINT),
    (range(500, 600),  None,                       ServerError,       _TRANSIENT_HINT),
    (range(400, 500),  None,                       BadRequest,        _REFUSED_HINT),
    (None,             None,                       ServerError,       _HOST_HINT),
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

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str:
        """The ``error_code`` of a JSON error body, else ``""``."""
        return _error_fields(self.json)[0] if isinstance(self.json, dict) else ""

    @property
    def error_message(self) -> str:
        """The server's message for an error body (JSON ``message`` or the text excerpt)."""
        if isinstance(self.json, dict):
            return _error_fields(self.json)[1]
        return self.text


@dataclass(frozen=True)
class _Call:
    """One API call as the request loop sees it (its name and how to treat failures)."""

    op: str
    method: str
    path: str
    endpoint: str = ""
    wait_conflict: bool = False  # wait out 409 "update in progress"
    any_status: bool = False  # return every HTTP answer (queries): no status retries
    absent_ok: bool = False  # return a "resource does not exist" 404 instead of raising
    authenticated: bool = True

    @property
    def idempotent(self) -> bool:
        return self.method != "POST"

    def what(self) -> str:
        return f"{self.op} of endpoint '{self.endpoint}'" if self.endpoint else self.op


@dataclass
class _Attempts:
    """Bookkeeping for one call's retries."""

    started: float
    retries: int = 0
    conflicts: int = 0
    reauthenticated: bool = False
    payload_secrets: tuple[str, ...] = ()
    last_failure: str = ""
    latency_s: float = 0.0

    def note(self, now: float) -> str:
        tries = self.retries + self.conflicts + 1
        return f" (after {tries} attempts over {now - self.started:.0f} s)" if tries > 1 else ""


Outcome = httpx.Response | httpx.TransportError


class _Random(Protocol):
    def random(self) -> float: ...


class ControlPlaneClient:
    """Calls the serving-endpoints REST API; a context manager that closes its own HTTP client."""

    def __init__(
        self,
        host: str,
        auth: Auth,
        *,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        max_retries: int = 5,
        retry_deadline_s: float = 120.0,
        conflict_wait_s: float = 600.0,
        timeout: float = 60.0,
        rng: _Random | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self._auth = auth
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._clock: Clock = clock or RealClock()
        self.max_retries = max_retries
        self.retry_deadline_s = retry_deadline_s
        self.conflict_wait_s = conflict_wait_s
        self.timeout = timeout
        self._rng: _Random = rng or Random()

    @classmethod
    def from_env(
        cls,
        *,
        host: str | None = None,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        **options: Any,
    ) -> ControlPlaneClient:
        """A client from explicit arguments, else ``DATABRICKS_*`` env vars (see ``auth``).

        ``options`` are the constructor's keyword arguments (``http``, ``timeout``, …).
        """
        creds = resolve_credentials(host, token, client_id, client_secret, env=env)
        return cls(creds.host, make_auth(creds, clock=clock), clock=clock, **options)

    def __enter__(self) -> ControlPlaneClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __repr__(self) -> str:
        return f"ControlPlaneClient(host={self.host!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "ControlPlaneClient holds credentials and must not be pickled: "
            "build it inside each provider call"
        )

    # -- operations (control-plane-api.md §1) --------------------------------------------

    def create_endpoint(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /serving-endpoints: start creating an endpoint (LRO: wait for it to settle)."""
        call = _Call("create_endpoint", "POST", API, str(body.get("name", "")))
        return self._json(call, json=dict(body))

    def create_pt_endpoint(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /serving-endpoints/pt: start creating a provisioned-throughput endpoint."""
        call = _Call("create_pt_endpoint", "POST", f"{API}/pt", str(body.get("name", "")))
        return self._json(call, json=dict(body))

    def get_endpoint(self, name: str) -> dict[str, Any]:
        """GET /serving-endpoints/{name}: the detailed endpoint; ``NotFound`` if absent."""
        return self._json(_Call("get_endpoint", "GET", _path(name), name))

    def find_endpoint(self, name: str) -> dict[str, Any] | None:
        """Like ``get_endpoint`` but ``None`` when the endpoint does not exist.

        Only a 404 with a JSON error body counts as "does not exist"; a 404 for an unknown
        API route (``ENDPOINT_NOT_FOUND``, or an HTML/text page from a wrong host) raises.
        """
        call = _Call("get_endpoint", "GET", _path(name), name, absent_ok=True)
        response = self._request(call)
        return None if response.status_code == 404 else self._parse(call, response)

    def list_endpoints(self) -> list[dict[str, Any]]:
        """GET /serving-endpoints: a summary of every endpoint (no pagination)."""
        endpoints = self._json(_Call("list_endpoints", "GET", API)).get("endpoints")
        return list(endpoints) if isinstance(endpoints, list) else []

    def delete_endpoint(self, name: str, *, missing_ok: bool = False) -> None:
        """DELETE /serving-endpoints/{name}; with ``missing_ok`` an absent endpoint is no error."""
        call = _Call("delete_endpoint", "DELETE", _path(name), name, wait_conflict=True)
        call = replace(call, absent_ok=missing_ok)
        self._request(call)

    def update_config(self, name: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /serving-endpoints/{name}/config: replace served entities and traffic (LRO)."""
        call = _Call("update_config", "PUT", _path(name, "/config"), name, wait_conflict=True)
        return self._json(call, json=dict(config))

    def update_pt_config(self, name: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /serving-endpoints/pt/{name}/config with ``{"config": config}`` (LRO)."""
        path = f"{API}/pt/{_quote(name)}/config"
        call = _Call("update_pt_config", "PUT", path, name, wait_conflict=True)
        return self._json(call, json={"config": dict(config)})

    def put_ai_gateway(self, name: str, gateway: Mapping[str, Any] | None) -> dict[str, Any]:
        """PUT /serving-endpoints/{name}/ai-gateway: full replace; ``None`` sends ``{}``."""
        path = _path(name, "/ai-gateway")
        call = _Call("put_ai_gateway", "PUT", path, name, wait_conflict=True)
        return self._json(call, json=dict(gateway or {}))

    def patch_tags(
        self, name: str, add: list[Mapping[str, Any]], delete: list[str]
    ) -> dict[str, Any]:
        """PATCH /serving-endpoints/{name}/tags: ``add_tags`` [{key, value}], ``delete_tags``."""
        body: dict[str, Any] = {}
        if add:
            body["add_tags"] = [dict(tag) for tag in add]
        if delete:
            body["delete_tags"] = list(delete)
        call = _Call("patch_tags", "PATCH", _path(name, "/tags"), name, wait_conflict=True)
        return self._json(call, json=body)

    def patch_notifications(self, name: str, notifications: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH /serving-endpoints/{name}/notifications with ``{"email_notifications": ...}``."""
        path = _path(name, "/notifications")
        call = _Call("patch_notifications", "PATCH", path, name, wait_conflict=True)
        return self._json(call, json={"email_notifications": dict(notifications)})

    def patch_telemetry(self, name: str, telemetry: Mapping[str, Any] | None) -> dict[str, Any]:
        """PATCH /serving-endpoints/{name}/telemetry-config; ``None`` removes telemetry."""
        body = {} if telemetry is None else {"telemetry_config": dict(telemetry)}
        path = _path(name, "/telemetry-config")
        call = _Call("patch_telemetry", "PATCH", path, name, wait_conflict=True)
        return self._json(call, json=body)

    def get_permissions(self, endpoint_id: str) -> dict[str, Any]:
        """GET /permissions/serving-endpoints/{id}: the ACL (keyed by endpoint id, not name)."""
        path = f"/api/2.0/permissions/serving-endpoints/{_quote(endpoint_id)}"
        return self._json(_Call("get_permissions", "GET", path, endpoint_id))

    def query_endpoint(
        self, name: str, body: Mapping[str, Any], *, entity: str | None = None, timeout: float
    ) -> QueryResult:
        """POST an invocation to the endpoint's route, or to one served entity.

        Never raises on an HTTP status (the smoke checker judges the result); raises
        ``ControlPlaneUnreachable`` when no answer comes back.
        """
        path = f"/serving-endpoints/{_quote(name)}"
        path += f"/served-models/{_quote(entity)}/invocations" if entity else "/invocations"
        call = _Call("query_endpoint", "POST", path, name, any_status=True)
        attempts = _Attempts(self._clock.now())
        response = self._send(call, attempts, json=dict(body), timeout=timeout)
        return _query_result(response, attempts.latency_s, self._secrets(attempts))

    def fetch_oauth_token(
        self, url: str, form: Mapping[str, str], basic: tuple[str, str]
    ) -> Mapping[str, Any]:
        """POST an OAuth client-credentials form to ``url``: the ``TokenFetcher`` for auth."""
        call = _Call("fetch_oauth_token", "POST", httpx.URL(url).path, authenticated=False)
        auth = httpx.BasicAuth(*basic)
        return self._json(call, url=url, data=dict(form), auth=auth)

    # -- the request loop ---------------------------------------------------------------

    def _json(self, call: _Call, **send: Any) -> dict[str, Any]:
        return self._parse(call, self._request(call, **send))

    def _parse(self, call: _Call, response: httpx.Response) -> dict[str, Any]:
        """The JSON object of a successful answer (``{}`` for an empty body)."""
        if not response.content.strip():
            return {}
        try:
            body = response.json()
        except ValueError:
            raise self._not_json(call, response) from None
        return body if isinstance(body, dict) else {"value": body}

    def _request(self, call: _Call, **send: Any) -> httpx.Response:
        return self._send(call, _Attempts(self._clock.now()), **send)

    def _send(self, call: _Call, attempts: _Attempts, **send: Any) -> httpx.Response:
        """Send until an answer is final, sleeping between attempts; raise mapped errors."""
        attempts.payload_secrets = secret_values(send.get("json"))
        while True:
            outcome = self._attempt(call, attempts, send)
            delay = self._retry_delay(call, outcome, attempts)
            if delay is None:
                return self._finish(call, outcome, attempts)
            attempts.last_failure = _describe(outcome)
            self._clock.sleep(delay)

    def _attempt(self, call: _Call, attempts: _Attempts, send: dict[str, Any]) -> Outcome:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if call.authenticated:
            headers["Authorization"] = self._auth.authorization(self.fetch_oauth_token)
        options = {"timeout": self.timeout, **send}
        url = options.pop("url", self.host + call.path)
        start = self._clock.now()
        try:
            response = self._http.request(call.method, url, headers=headers, **options)
        except httpx.TransportError as err:
            return err
        attempts.latency_s = self._clock.now() - start
        return response

    def _retry_delay(self, call: _Call, outcome: Outcome, attempts: _Attempts) -> float | None:
        """Seconds to sleep before trying again, or ``None`` when this outcome is final."""
        if isinstance(outcome, httpx.TransportError):
            retryable = call.idempotent or isinstance(outcome, _ALWAYS_RETRYABLE)
            return self._backoff(attempts, None) if retryable else None
        status = outcome.status_code
        if outcome.is_success or call.any_status:
            return None
        if status == 401 and call.authenticated and not attempts.reauthenticated:
            return self._reauthenticate(attempts)
        if status == 409 and call.wait_conflict and not _already_exists(outcome):
            return self._conflict_backoff(attempts)
        return self._backoff(attempts, _retry_after(outcome)) if status in RETRY_STATUSES else None

    def _reauthenticate(self, attempts: _Attempts) -> float | None:
        """Drop a cached OAuth token once after a 401 (it may have been revoked or expired)."""
        invalidate = getattr(self._auth, "invalidate", None)
        if invalidate is None:
            return None
        invalidate()
        attempts.reauthenticated = True
        return 0.0

    def _backoff(self, attempts: _Attempts, retry_after: float | None) -> float | None:
        delay = retry_after if retry_after is not None else self._linear(attempts.retries + 1)
        elapsed = self._clock.now() - attempts.started
        if attempts.retries >= self.max_retries or elapsed + delay > self.retry_deadline_s:
            return None
        attempts.retries += 1
        return delay

    def _conflict_backoff(self, attempts: _Attempts) -> float | None:
        delay = self._linear(attempts.conflicts + 1)
        if self._clock.now() - attempts.started + delay > self.conflict_wait_s:
            return None
        attempts.conflicts += 1
        return delay

    def _linear(self, attempt: int) -> float:
        """1, 2, … 10 s plus up to 1 s of jitter, like the Databricks SDK's waiters."""
        return min(10, attempt) + self._rng.random()

    def _finish(self, call: _Call, outcome: Outcome, attempts: _Attempts) -> httpx.Response:
        if isinstance(outcome, httpx.TransportError):
            raise self._unreachable(call, outcome, attempts) from outcome
        if outcome.is_success or call.any_status or (call.absent_ok and _is_absent(outcome)):
            return outcome
        raise self._error(call, outcome, attempts)

    # -- errors -------------------------------------------------------------------------

    def _secrets(self, attempts: _Attempts) -> tuple[str, ...]:
        return self._auth.secrets() + attempts.payload_secrets

    def _error(self, call: _Call, response: httpx.Response, attempts: _Attempts) -> ApiError:
        """The mapped, redacted ``ApiError`` for an error answer."""
        secrets = self._secrets(attempts)
        code, message = _error_info(response, secrets)
        rule = map_error(response.status_code, code, call.op)
        text = f"{call.what()} failed: {call.method} {response.request.url}"
        text += f" -> {response.status_code} {code}".rstrip() + f": {message}"
        text += attempts.note(self._clock.now())
        if attempts.last_failure and _already_exists(response):
            text += f"; an earlier attempt ({attempts.last_failure}) may have created it"
        return rule.error(
            redact_text(text, secrets),
            status=response.status_code,
            code=code,
            method=call.method,
            url=str(response.request.url),
            endpoint=call.endpoint,
            hint=_hint(rule, response),
            retry_after=_retry_after(response),
        )

    def _not_json(self, call: _Call, response: httpx.Response) -> ServerError:
        excerpt = _excerpt(response.text, self._auth.secrets())
        return ServerError(
            f"{call.what()} failed: {call.method} {response.request.url} -> "
            f"{response.status_code} with a non-JSON body: {excerpt}",
            status=response.status_code,
            code="",
            method=call.method,
            url=str(response.request.url),
            endpoint=call.endpoint,
            hint=_HOST_HINT,
        )

    def _unreachable(
        self, call: _Call, err: httpx.TransportError, attempts: _Attempts
    ) -> ControlPlaneUnreachable:
        url = self.host + call.path if call.authenticated else call.path
        text = f"cannot reach the control plane: {call.what()} failed: {call.method} {url}: "
        text += f"{type(err).__name__}: {err or 'no answer'}" + attempts.note(self._clock.now())
        secrets = self._secrets(attempts)
        return ControlPlaneUnreachable(redact_text(text, secrets), hint=_transport_hint(err))


def _quote(part: str) -> str:
    return quote(part, safe="")


def _path(name: str, suffix: str = "") -> str:
    return f"{API}/{_quote(name)}{suffix}"


def _already_exists(response: httpx.Response) -> bool:
    return _error_info(response, ())[0] == "RESOURCE_ALREADY_EXISTS"


def _is_absent(response: httpx.Response) -> bool:
    """A 404 saying the resource is missing (JSON body), not that the API route is unknown."""
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, Mapping) and _error_fields(body)[0] != "ENDPOINT_NOT_FOUND"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _describe(outcome: httpx.Response | httpx.TransportError) -> str:
    if isinstance(outcome, httpx.TransportError):
        return type(outcome).__name__
    code = _error_info(outcome, ())[0]
    return f"{outcome.status_code} {code}".strip()


def _error_fields(body: Mapping[str, Any]) -> tuple[str, str]:
    nested = body.get("error")
    if isinstance(nested, Mapping):
        return str(nested.get("code") or ""), str(nested.get("message") or "")
    code = body.get("error_code") or (nested if isinstance(nested, str) else "")
    message = body.get("message") or body.get("error_description") or body.get("detail") or ""
    return str(code), str(message)


def _error_info(response: httpx.Response, secrets: tuple[str, ...]) -> tuple[str, str]:
    """``(error_code, redacted message)`` of an error answer, JSON or not."""
    try:
        body = response.json()
    except ValueError:
        return "", _excerpt(response.text, secrets)
    if not isinstance(body, Mapping):
        return "", redact_text(json.dumps(body)[:300], secrets)
    code, message = _error_fields(body)
    return code, redact_text(message or json.dumps(body, sort_keys=True)[:300], secrets)


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.I | re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def _excerpt(text: str, secrets: tuple[str, ...], limit: int = 300) -> str:
    """A short, redacted, single-line excerpt of a non-JSON body (HTML reduced to its title)."""
    if "<" in text and ">" in text:
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", _SCRIPT.sub(" ", text))
    flat = " ".join(text.split())
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return redact_text(flat, secrets) if flat else "(empty body)"


def _query_result(
    response: httpx.Response, latency_s: float, secrets: tuple[str, ...]
) -> QueryResult:
    try:
        body, text = response.json(), ""
    except ValueError:
        body, text = None, _excerpt(response.text, secrets)
    return QueryResult(
        status=response.status_code,
        json=body,
        text=text,
        served_model_name=response.headers.get("served-model-name"),
        latency_ms=latency_s * 1000.0,
    )


def _hint(rule: ErrorRule, response: httpx.Response) -> str:
    retry_after = _retry_after(response)
    if retry_after is not None and rule.error in (RateLimited, ServerError):
        return f"{rule.hint} (the server asked to wait {retry_after:g} s)"
    return rule.hint


def _transport_hint(err: httpx.TransportError) -> str:
    if isinstance(err, httpx.ConnectError | httpx.ConnectTimeout):
        return f"is the local plane running? {_PLANE_HINT}; otherwise check DATABRICKS_HOST"
    if isinstance(err, httpx.TimeoutException):
        return "the control plane did not answer in time: retry, or raise the timeout"
    return "the connection dropped: retry; if it persists, check DATABRICKS_HOST and proxies"
