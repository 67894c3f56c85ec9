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

from collections.abc import Mapping
from dataclasses import dataclass, replace
from random import Random
from types import TracebackType
from typing import Any, NoReturn, Protocol
from urllib.parse import quote

import httpx

from servingops import __version__
from servingops.apierrors import (
    ERROR_TABLE,
    HOST_HINT,
    ErrorRule,
    QueryResult,
    body_excerpt,
    describe,
    error_fields,
    error_info,
    hint,
    map_error,
    query_result,
    retry_after_seconds,
    transport_hint,
)
from servingops.auth import Auth, make_auth, resolve_credentials
from servingops.clock import Clock, RealClock
from servingops.errors import (
    ApiError,
    ControlPlaneUnreachable,
    ServerError,
)
from servingops.redact import redact_text, secret_values

__all__ = ["ERROR_TABLE", "ControlPlaneClient", "ErrorRule", "QueryResult", "map_error"]


API = "/api/2.0/serving-endpoints"
USER_AGENT = f"servingops/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ALWAYS_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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
    retry_started: float | None = None

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
        call = _Call("get_endpoint", "GET", _path(name), name)
        return self._endpoint(call, self._json(call))

    def find_endpoint(self, name: str) -> dict[str, Any] | None:
        """Like ``get_endpoint`` but ``None`` when the endpoint does not exist.

        Only a 404 with a JSON error body counts as "does not exist"; a 404 for an unknown
        API route (``ENDPOINT_NOT_FOUND``, or an HTML/text page from a wrong host) raises.
        """
        call = _Call("get_endpoint", "GET", _path(name), name, absent_ok=True)
        attempts = _Attempts(self._clock.now())
        response = self._send(call, attempts)
        if response.status_code == 404:
            return None
        return self._endpoint(call, self._parse(call, response, self._secrets(attempts)))

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
        return query_result(response, attempts.latency_s, self._secrets(attempts))

    def fetch_oauth_token(
        self, url: str, form: Mapping[str, str], basic: tuple[str, str]
    ) -> Mapping[str, Any]:
        """POST an OAuth client-credentials form to ``url``: the ``TokenFetcher`` for auth."""
        call = _Call("fetch_oauth_token", "POST", httpx.URL(url).path, authenticated=False)
        auth = httpx.BasicAuth(*basic)
        return self._json(call, url=url, data=dict(form), auth=auth)

    # -- the request loop ---------------------------------------------------------------

    def _json(self, call: _Call, **send: Any) -> dict[str, Any]:
        attempts = _Attempts(self._clock.now())
        response = self._send(call, attempts, **send)
        return self._parse(call, response, self._secrets(attempts))

    def _parse(
        self, call: _Call, response: httpx.Response, secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        """The JSON object of a successful answer; anything else is a ``ServerError``.

        Only a DELETE may answer with an empty body (``{}``).
        """
        if call.method == "DELETE" and not response.content.strip():
            return {}
        try:
            body = response.json()
        except (ValueError, RecursionError):
            raise self._unexpected(call, response, secrets, "a non-JSON body") from None
        if not isinstance(body, dict):
            what = f"JSON {type(body).__name__}, not an object"
            raise self._unexpected(call, response, secrets, what)
        return body

    def _endpoint(self, call: _Call, body: dict[str, Any]) -> dict[str, Any]:
        """A GET endpoint answer, checked for the fields every caller relies on."""
        if not isinstance(body.get("name"), str) or not isinstance(body.get("state"), dict):
            raise ServerError(
                f"{call.what()} failed: GET {self.host}{call.path} answered without "
                "the endpoint's 'name' and 'state'",
                status=200,
                code="",
                method="GET",
                url=self.host + call.path,
                endpoint=call.endpoint,
                hint=HOST_HINT,
            )
        return body

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
            attempts.last_failure = describe(outcome)
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
        except httpx.HTTPError as err:  # e.g. DecodingError: a body we cannot read
            raise ServerError(
                f"{call.what()} failed: {call.method} {url}: unreadable answer "
                f"({type(err).__name__})",
                status=0,
                code="",
                method=call.method,
                url=url,
                endpoint=call.endpoint,
                hint=HOST_HINT,
            ) from None
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
        return (
            self._backoff(attempts, retry_after_seconds(outcome))
            if status in RETRY_STATUSES
            else None
        )

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
        now = self._clock.now()
        if attempts.retry_started is None:  # the retry budget starts at the first failure,
            attempts.retry_started = now  # not at the start of a long 409 wait
        elapsed = now - attempts.retry_started
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
        code, message = error_info(response, secrets)
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
            hint=hint(rule, response),
            retry_after=retry_after_seconds(response),
        )

    def _unexpected(
        self, call: _Call, response: httpx.Response, secrets: tuple[str, ...], what: str
    ) -> ServerError:
        excerpt = body_excerpt(response.text, secrets)
        return ServerError(
            f"{call.what()} failed: {call.method} {response.request.url} -> "
            f"{response.status_code} with {what}: {excerpt}",
            status=response.status_code,
            code="",
            method=call.method,
            url=str(response.request.url),
            endpoint=call.endpoint,
            hint=HOST_HINT,
        )

    def _unreachable(
        self, call: _Call, err: httpx.TransportError, attempts: _Attempts
    ) -> ControlPlaneUnreachable:
        url = self.host + call.path if call.authenticated else call.path
        text = f"cannot reach the control plane: {call.what()} failed: {call.method} {url}: "
        text += f"{type(err).__name__}: {err or 'no answer'}" + attempts.note(self._clock.now())
        secrets = self._secrets(attempts)
        return ControlPlaneUnreachable(redact_text(text, secrets), hint=transport_hint(err))


def _quote(part: str) -> str:
    return quote(part, safe="")


def _path(name: str, suffix: str = "") -> str:
    return f"{API}/{_quote(name)}{suffix}"


def _already_exists(response: httpx.Response) -> bool:
    return error_info(response, ())[0] == "RESOURCE_ALREADY_EXISTS"


def _is_absent(response: httpx.Response) -> bool:
    """A 404 saying the resource is missing (JSON body), not that the API route is unknown."""
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, Mapping) and error_fields(body)[0] != "ENDPOINT_NOT_FOUND"
