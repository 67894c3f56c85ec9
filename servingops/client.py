"""The control-plane HTTP client: the only module that speaks HTTP to the serving API.

``ControlPlaneClient`` has one method per API operation (control-plane-api.md §1), each
taking and returning plain JSON dicts; the spec layer converts. It works unchanged
against a Databricks workspace and against the local plane.

Behaviour every method shares:

- **Errors:** one table, ``ERROR_TABLE``, maps (status, error_code) to a
  ``servingops.errors`` class, most specific row first. Messages name the operation,
  endpoint, method, URL, status, error code and the server's message, with secrets
  redacted, and carry a hint.
- **Retries:** 429, 500, 502, 503, 504 and connection failures are retried until a time
  budget (``ClientSettings.retry_budget_s``, counted from the call's first failure) is
  spent: after the server's ``Retry-After`` (seconds or an HTTP date, capped at
  ``retry_after_cap_s``), else after an exponential backoff (1, 2, 4, 8, 10, 10 … s, up
  to a quarter less by jitter). A time budget rather than a count, so a long 429 storm is
  ridden out. Read timeouts and dropped connections are retried only for idempotent
  methods (a create is a POST and may have arrived). ``query_endpoint`` never retries:
  the smoke checker judges every answer and decides what to re-send.
- **Route-optimized endpoints** (``query_endpoint(..., route_optimized=True)``) are
  queried as databricks-sdk-py's ``serving_endpoints_data_plane.query`` does: the
  endpoint's GET gives ``data_plane_info.query_info`` (``endpoint_url``,
  ``authorization_details``), the OAuth access token is exchanged for a data-plane token
  (``servingops.auth.DataPlaneTokens``, cached per endpoint on the client's clock) and
  the query goes to ``endpoint_url``. A personal access token raises ``OAuthRequired``.
- **A host that never answers fails fast:** until a host has answered once, connection
  failures and timeouts get ``connect_tries`` tries (2), and a GET waits only
  ``connect_timeout_s`` for its answer; the error says which host did not answer and
  within how long. After that, one try per call.
- **Why hand-rolled:** the retry decision needs the answer (``Retry-After``, the 409
  wait, one re-authentication after a 401, the first-contact rule) and an injected
  clock; ``tenacity`` would add a dependency and still need all of that written as
  callbacks (its stop-after-delay reads ``time.monotonic`` itself). The Databricks SDK
  hand-rolls its ``retried`` for the same reasons.
- **Update in progress:** on writes to an existing endpoint a 409 other than
  ``RESOURCE_ALREADY_EXISTS`` means another update is running; it is waited out, polling
  with backoff for up to ``conflict_wait_s``. A 409 on create is never retried.

Timeouts and budgets come from ``ClientSettings`` (``client_settings(config)`` reads
them from Pulumi stack config, ``ClientSettings.from_env`` from ``SERVINGOPS_*``).
Do not keep a client (or its credentials) on an object that Pulumi pickles: build one
inside each provider call with ``ControlPlaneClient.from_env()``; pickling one fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from random import Random
from types import TracebackType
from typing import Any, NoReturn, Protocol, TypeVar
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
from servingops.auth import (
    Auth,
    DataPlaneTokens,
    OAuthRequired,
    make_auth,
    oauth_access_token,
    resolve_credentials,
)
from servingops.clientsettings import ClientSettings, client_settings, knob_names
from servingops.clock import Clock, RealClock
from servingops.errors import (
    ApiError,
    ControlPlaneUnreachable,
    ServerError,
)
from servingops.redact import redact_text, secret_values

__all__ = [
    "ERROR_TABLE",
    "ClientSettings",
    "ControlPlaneClient",
    "ErrorRule",
    "OAuthRequired",
    "QueryResult",
    "client_settings",
    "map_error",
]


API = "/api/2.0/serving-endpoints"
USER_AGENT = f"servingops/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request left: resending is safe even for a POST."""
_ASK = "(is the host right? is the plane running?)"
T = TypeVar("T")


ORG_ID_HEADER = "x-databricks-org-id"


@dataclass(frozen=True)
class _Call:
    """One API call as the request loop sees it (its name and how to treat failures)."""

    op: str
    method: str
    path: str
    endpoint: str = ""
    wait_conflict: bool = False  # wait out 409 "update in progress"
    any_status: bool = False  # return every HTTP answer (queries), and never retry
    absent_ok: bool = False  # return a "resource does not exist" 404 instead of raising
    authenticated: bool = True
    read_timeout_s: float | None = None  # a query's own timeout (smoke.timeout_seconds)
    authorization: str | None = field(default=None, repr=False)  # a data-plane token's header

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
    timeout_s: float = 0.0  # the read timeout of the latest attempt, in seconds
    timeout_knob: str = ""  # the setting that chose it, for hints
    sent_token: str | None = field(default=None, repr=False)  # the bearer token last sent

    @property
    def tries(self) -> int:
        return self.retries + self.conflicts + 1

    def note(self, now: float) -> str:
        over = now - self.started
        return f" (after {self.tries} attempts over {over:.0f} s)" if self.tries > 1 else ""


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
        rng: _Random | None = None,
        settings: ClientSettings | None = None,
        timeout: float | None = None,
        connect_timeout_s: float | None = None,
        retry_budget_s: float | None = None,
        conflict_wait_s: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        """``settings`` (default ``ClientSettings()``) with any keyword given overriding
        its field; ``timeout`` is ``timeout_s``. All durations are seconds."""
        self.host = host.rstrip("/")
        self.workspace_seen: str | None = None
        """The ``x-databricks-org-id`` of the last answer (None before one, or none sent)."""
        self._auth = auth
        base = settings or ClientSettings()
        self.settings: ClientSettings = replace(
            base,
            timeout_s=_given(timeout, base.timeout_s),
            connect_timeout_s=_given(connect_timeout_s, base.connect_timeout_s),
            retry_budget_s=_given(retry_budget_s, base.retry_budget_s),
            conflict_wait_s=_given(conflict_wait_s, base.conflict_wait_s),
            max_retries=_given(max_retries, base.max_retries),
        )
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=self._timeouts(None))
        self._clock: Clock = clock or RealClock()
        self._rng: _Random = rng or Random()
        self._answered = False  # the host has answered at least once
        self._silent = False  # the host never answered, and a call gave up on it
        self._sent_secrets: dict[str, None] = {}  # every payload secret sent, for redaction
        self._data_plane = DataPlaneTokens(self.host, self._clock)

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
        settings: ClientSettings | None = None,
        **options: Any,
    ) -> ControlPlaneClient:
        """A client from explicit arguments, else ``DATABRICKS_*`` env vars (see ``auth``).

        ``settings`` default to ``ClientSettings.from_env(env)`` (``SERVINGOPS_*``);
        ``options`` are the constructor's other keyword arguments (``http``, ``timeout``,
        …). Raises ``UsageError`` for missing credentials, ``ConfigError`` for bad settings.
        """
        creds = resolve_credentials(host, token, client_id, client_secret, env=env)
        settings = settings or ClientSettings.from_env(env)
        auth = make_auth(creds, clock=clock)
        return cls(creds.host, auth, clock=clock, settings=settings, **options)

    @property
    def clock(self) -> Clock:
        """The clock this client sleeps on (the smoke checker's retries share it)."""
        return self._clock

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

    def workspace_id(self) -> str | None:
        """The workspace's id from the ``x-databricks-org-id`` header every workspace answer
        carries (read from a list call); None when the control plane sends none."""
        response = self._request(_Call("workspace_id", "GET", API))
        value = response.headers.get(ORG_ID_HEADER)
        return str(value) if value else None

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

    def set_permissions(self, endpoint_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /permissions/serving-endpoints/{id}: replace the direct ACL entries with
        ``body`` (``{access_control_list: [...]}``); answers the new ACL."""
        path = f"/api/2.0/permissions/serving-endpoints/{_quote(endpoint_id)}"
        call = _Call("set_permissions", "PUT", path, endpoint_id, wait_conflict=True)
        return self._json(call, json=dict(body))

    def query_endpoint(
        self,
        name: str,
        body: Mapping[str, Any],
        *,
        entity: str | None = None,
        timeout: float,
        route_optimized: bool = False,
    ) -> QueryResult:
        """POST an invocation to the endpoint's route, or to one served entity, sent once.

        ``timeout`` is the read timeout in seconds. Never raises on the query's HTTP status
        and never retries (the smoke checker judges the result and re-sends); raises
        ``ControlPlaneUnreachable`` when no answer comes back. ``route_optimized``: query
        the endpoint's route-optimized URL (``query_data_plane``; no ``entity``).
        """
        if route_optimized:
            return self.query_data_plane(name, body, timeout=timeout)
        path = f"/serving-endpoints/{_quote(name)}"
        path += f"/served-models/{_quote(entity)}/invocations" if entity else "/invocations"
        call = _Call("query_endpoint", "POST", path, name, any_status=True, read_timeout_s=timeout)
        attempts = _Attempts(self._clock.now())
        response = self._send(call, attempts, json=dict(body))
        return query_result(response, attempts.latency_s, self._secrets(attempts))

    def query_data_plane(
        self, name: str, body: Mapping[str, Any], *, timeout: float
    ) -> QueryResult:
        """POST an invocation to a route-optimized endpoint's ``endpoint_url`` with a
        data-plane token, sent once (source: databricks-sdk-py
        ``ServingEndpointsDataPlaneAPI.query``).

        Raises ``OAuthRequired`` before sending anything when the client has no OAuth
        credentials; ``ApiError`` when the GET or the token exchange fails, or the GET
        has no ``data_plane_info``; ``ControlPlaneUnreachable`` when no answer comes back.
        A 401 answer drops the cached data-plane token.
        """
        assertion = oauth_access_token(self._auth, self.fetch_oauth_token)
        url, details = self.data_plane_info(name)
        header = self._data_plane.authorization(details, lambda: assertion, self.fetch_oauth_token)
        call = _Call(
            "query_endpoint",
            "POST",
            url,
            name,
            any_status=True,
            authenticated=False,
            read_timeout_s=timeout,
            authorization=header,
        )
        attempts = _Attempts(self._clock.now())
        response = self._send(call, attempts, url=url, json=dict(body))
        if response.status_code == 401:
            self._data_plane.invalidate(details)
        return query_result(response, attempts.latency_s, self._secrets(attempts))

    def data_plane_info(self, name: str) -> tuple[str, str]:
        """``(endpoint_url, authorization_details)`` from the endpoint's GET
        (``data_plane_info.query_info``); ``ServerError`` when the GET carries none."""
        detail = self.get_endpoint(name)
        info = detail.get("data_plane_info")
        query = info.get("query_info") if isinstance(info, Mapping) else None
        query = query if isinstance(query, Mapping) else {}
        url, details = query.get("endpoint_url"), query.get("authorization_details")
        if isinstance(url, str) and url and isinstance(details, str) and details:
            return url, details
        raise ServerError(
            f"query_endpoint of endpoint '{name}' failed: GET {self.host}{_path(name)} "
            "answered without data_plane_info.query_info (endpoint_url, "
            "authorization_details), so the route-optimized URL is unknown",
            status=200,
            code="",
            method="GET",
            url=self.host + _path(name),
            endpoint=name,
            hint="is the live endpoint route-optimized? `servingops diff` shows "
            "route_optimized; a file with route_optimized: true must match it",
        )

    def fetch_oauth_token(
        self, url: str, form: Mapping[str, str], basic: tuple[str, str] | None
    ) -> Mapping[str, Any]:
        """POST an OAuth token form to ``url`` (HTTP basic auth with ``basic``, if given):
        the ``TokenFetcher`` for auth; the data-plane token exchange sends no basic auth."""
        op = "fetch_oauth_token" if basic is not None else "exchange_data_plane_token"
        call = _Call(op, "POST", httpx.URL(url).path, authenticated=False)
        auth = httpx.BasicAuth(*basic) if basic is not None else None
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
        self._sent_secrets.update(dict.fromkeys(attempts.payload_secrets))
        while True:
            outcome = self._attempt(call, attempts, send)
            self._note_workspace(outcome)
            delay = self._retry_delay(call, outcome, attempts)
            if delay is None:
                return self._finish(call, outcome, attempts)
            attempts.last_failure = describe(outcome)
            self._clock.sleep(delay)

    def _note_workspace(self, outcome: Outcome) -> None:
        """Remember the ``x-databricks-org-id`` of the last answer (``workspace_seen``)."""
        if isinstance(outcome, httpx.Response) and outcome.headers.get(ORG_ID_HEADER):
            self.workspace_seen = str(outcome.headers[ORG_ID_HEADER])

    def workspace(self) -> str:
        """The workspace the answers so far came from: its org id, else the host."""
        return self.workspace_seen or self.host

    def _attempt(self, call: _Call, attempts: _Attempts, send: dict[str, Any]) -> Outcome:
        """One request; a transport failure is returned (the loop decides), not raised."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if call.authorization is not None:
            headers["Authorization"] = call.authorization
        elif call.authenticated:
            headers["Authorization"] = self._auth.authorization(self.fetch_oauth_token)
            attempts.sent_token = headers["Authorization"].removeprefix("Bearer ")
        attempts.timeout_s, attempts.timeout_knob = self._read_timeout(call)
        options = {"timeout": self._timeouts(attempts.timeout_s), **send}
        url = options.pop("url", self.host + call.path)
        start = self._clock.now()
        try:
            response = self._http.request(call.method, url, headers=headers, **options)
        except httpx.TransportError as err:
            return err
        except httpx.HTTPError as err:  # e.g. DecodingError: a body we cannot read
            raise self._unreadable(call, url, err) from None
        attempts.latency_s = self._clock.now() - start
        self._answered = True
        return response

    def _timeouts(self, read_s: float | None) -> httpx.Timeout:
        """httpx timeouts: ``read_s`` (default ``timeout_s``) to answer, ``connect_timeout_s``
        to connect."""
        read = self.settings.timeout_s if read_s is None else read_s
        return httpx.Timeout(read, connect=self.settings.connect_timeout_s)

    def _read_timeout(self, call: _Call) -> tuple[float, str]:
        """Seconds this request may wait for its answer, and the setting that says so.

        A GET to a host that has not answered yet waits only ``connect_timeout_s``.
        """
        settings = self.settings
        if call.read_timeout_s is not None:
            return call.read_timeout_s, "smoke.timeout_seconds in the endpoint file"
        if not self._answered and call.method == "GET":
            if settings.connect_timeout_s < settings.timeout_s:
                return settings.connect_timeout_s, knob_names("connect_timeout_s")
        return settings.timeout_s, knob_names("timeout_s")

    def _retry_delay(self, call: _Call, outcome: Outcome, attempts: _Attempts) -> float | None:
        """Seconds to sleep before trying again, or ``None`` when this outcome is final."""
        if call.any_status:
            return None  # queries: the smoke checker decides what to re-send
        if isinstance(outcome, httpx.TransportError):
            return self._transport_delay(call, outcome, attempts)
        status = outcome.status_code
        if outcome.is_success:
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

    def _transport_delay(
        self, call: _Call, err: httpx.TransportError, attempts: _Attempts
    ) -> float | None:
        """Retry a request that got no answer only when resending is safe; a host that has
        never answered gets ``connect_tries`` tries (one once a call gave up on it)."""
        if not (call.idempotent or isinstance(err, _NOT_SENT)):
            return None  # a POST may have arrived: never resend it blindly
        contact_tries = 1 if self._silent else self.settings.connect_tries
        if not self._answered and attempts.tries >= contact_tries:
            return None
        return self._backoff(attempts, None)

    def _reauthenticate(self, attempts: _Attempts) -> float | None:
        """Drop a cached OAuth token once after a 401 (it may have been revoked or expired):
        the token this call sent, so a token another thread fetched since is kept."""
        invalidate = getattr(self._auth, "invalidate", None)
        if invalidate is None:
            return None
        invalidate(attempts.sent_token)
        attempts.reauthenticated = True
        return 0.0

    def _backoff(self, attempts: _Attempts, retry_after: float | None) -> float | None:
        """The sleep before the next retry, or ``None`` once the budget cannot cover it."""
        settings = self.settings
        if retry_after is None:
            delay = self._exponential(attempts.retries + 1)
        else:  # at least 1 s, so "Retry-After: 0" cannot turn into a busy loop
            delay = min(max(retry_after, 1.0), settings.retry_after_cap_s)
        now = self._clock.now()
        if attempts.retry_started is None:  # the retry budget starts at the first failure,
            attempts.retry_started = now  # not at the start of a long 409 wait
        elapsed = now - attempts.retry_started
        capped = settings.max_retries is not None and attempts.retries >= settings.max_retries
        asked = retry_after if retry_after is not None else delay  # the server's own wish
        if capped or elapsed + max(delay, asked) > settings.retry_budget_s:
            return None  # the budget cannot cover it: give up now, not after waiting
        attempts.retries += 1
        return delay

    def _exponential(self, attempt: int) -> float:
        """1, 2, 4, 8 … s capped at ``backoff_cap_s``, up to a quarter less by jitter."""
        base = min(self.settings.backoff_cap_s, 2.0 ** min(attempt - 1, 30))
        return base * (1.0 - self._rng.random() / 4)

    def _conflict_backoff(self, attempts: _Attempts) -> float | None:
        delay = self._linear(attempts.conflicts + 1)
        if self._clock.now() - attempts.started + delay > self.settings.conflict_wait_s:
            return None
        attempts.conflicts += 1
        return delay

    def _linear(self, attempt: int) -> float:
        """1, 2, … 10 s plus up to 1 s of jitter, like the Databricks SDK's waiters."""
        return min(10, attempt) + self._rng.random()

    def _finish(self, call: _Call, outcome: Outcome, attempts: _Attempts) -> httpx.Response:
        if isinstance(outcome, httpx.TransportError):
            error = self._unreachable(call, outcome, attempts)
            self._silent = not self._answered
            raise error from outcome
        if outcome.is_success or call.any_status or (call.absent_ok and _is_absent(outcome)):
            return outcome
        raise self._error(call, outcome, attempts)

    # -- errors -------------------------------------------------------------------------

    def _secrets(self, attempts: _Attempts) -> tuple[str, ...]:
        """Secrets to redact: the credentials, this payload's and every earlier payload's
        (a GET after a create may echo the key the create sent)."""
        held = self._auth.secrets() + self._data_plane.secrets()
        return held + attempts.payload_secrets + tuple(self._sent_secrets)

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
            hint=self._budget_hint(hint(rule, response), attempts, response.status_code),
            retry_after=retry_after_seconds(response),
        )

    def _budget_hint(self, base: str, attempts: _Attempts, status: int = 0) -> str:
        """``base``, plus the retry-budget setting when retries of this failure (``status``,
        0 for no answer) ran out."""
        if not attempts.retries or (status and status not in RETRY_STATUSES):
            return base
        budget = self.settings.retry_budget_s
        return (
            f"{base}; gave up within the {budget:g} s retry budget ({knob_names('retry_budget_s')})"
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

    def _unreadable(self, call: _Call, url: str, err: httpx.HTTPError) -> ServerError:
        return ServerError(
            f"{call.what()} failed: {call.method} {url}: unreadable answer ({type(err).__name__})",
            status=0,
            code="",
            method=call.method,
            url=url,
            endpoint=call.endpoint,
            hint=HOST_HINT,
        )

    def _unreachable(
        self, call: _Call, err: httpx.TransportError, attempts: _Attempts
    ) -> ControlPlaneUnreachable:
        """No answer came back: which host, after how long, and which setting to change."""
        url = self.host + call.path if call.authenticated else call.path
        text = f"{self._no_answer(err, attempts)}: {call.what()} failed: {call.method} {url}: "
        text += f"{type(err).__name__}: {err or 'no answer'}" + attempts.note(self._clock.now())
        tip = transport_hint(err, *self._timeout_knob(err, attempts))
        tip = self._budget_hint(tip, attempts) if self._answered else tip
        secrets = self._secrets(attempts)
        return ControlPlaneUnreachable(redact_text(text, secrets), hint=redact_text(tip, secrets))

    def _no_answer(self, err: httpx.TransportError, attempts: _Attempts) -> str:
        """The message's lead: which host failed to answer, and how."""
        if self._answered:
            return "cannot reach the control plane"
        if isinstance(err, httpx.ConnectError):
            return f"control plane at {self.host} could not be reached {_ASK}"
        if isinstance(err, httpx.TimeoutException):
            seconds = self._timeout_knob(err, attempts)[1]
            return f"control plane at {self.host} did not answer within {seconds:g} s {_ASK}"
        return f"control plane at {self.host} closed the connection without answering {_ASK}"

    def _timeout_knob(self, err: httpx.TransportError, attempts: _Attempts) -> tuple[str, float]:
        """The setting whose timeout ran out, and its value in seconds."""
        if isinstance(err, httpx.ConnectTimeout):
            return knob_names("connect_timeout_s"), self.settings.connect_timeout_s
        return attempts.timeout_knob, attempts.timeout_s


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


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
