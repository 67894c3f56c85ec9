"""Find the control-plane host and credentials, and turn them into an Authorization header.

Resolution order: explicit arguments, then the environment (``DATABRICKS_HOST``,
``DATABRICKS_TOKEN``, or ``DATABRICKS_CLIENT_ID`` + ``DATABRICKS_CLIENT_SECRET`` for OAuth
machine-to-machine). The first level that names any credential decides; naming both a
token and client credentials at one level is refused, as the Databricks SDK does.

Nothing here is stored on the Pulumi dynamic provider (it is pickled into the stack
state): credentials and clients are built inside each provider call. The one long-lived
object is an ``OAuthM2M`` token cache, kept per process in ``providers.connection``
(``shared_auth``) so provider calls share one access token. To make a mistake loud rather
than a leak, the objects below refuse to be pickled, and their secrets are left out of
``repr``.

This module never speaks HTTP: the OAuth token request is sent by
``servingops.client.ControlPlaneClient`` through the ``TokenFetcher`` it passes in, so
retries and the error-mapping table stay in one place.

Route-optimized endpoints are queried on their own URL with a data-plane token
(``DataPlaneTokens``): the OAuth access token exchanged, per endpoint, at the same token
endpoint, as databricks-sdk-py does (``data_plane.DataPlaneEndpointTokenSource``). A
personal access token cannot be exchanged (``OAuthRequired``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol

import httpx

from servingops.clock import Clock, RealClock
from servingops.errors import ToolError, UsageError
from servingops.model.fields import MASK

__all__ = [
    "Auth",
    "BearerToken",
    "Credentials",
    "DataPlaneTokens",
    "OAuthM2M",
    "OAuthRequired",
    "TokenFetcher",
    "make_auth",
    "resolve_credentials",
]

_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+$|^[0-9A-Fa-f:.]+$")
OAUTH_TOKEN_PATH = "/oidc/v1/token"
OAUTH_SCOPE = "all-apis"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
"""The grant type of the data-plane token exchange (RFC 7523), as the Databricks SDK sends."""
DATA_PLANE_HINT = (
    "route-optimized endpoints are queried with OAuth M2M: set DATABRICKS_CLIENT_ID/SECRET "
    "(and unset DATABRICKS_TOKEN); the service principal needs CAN_QUERY on the endpoint"
)
_PLANE_HINT = (
    "`make demo` starts the local plane; `servingops plane` prints the "
    "DATABRICKS_HOST and DATABRICKS_TOKEN to export"
)

TokenFetcher = Callable[[str, Mapping[str, str], tuple[str, str] | None], Mapping[str, Any]]
"""``fetch(url, form, (client_id, client_secret) or None) -> token JSON``, supplied by the
client (None: no HTTP basic auth, as in the data-plane token exchange)."""


class OAuthRequired(ToolError):
    """Raised when a route-optimized endpoint is to be queried without OAuth (a personal
    access token cannot be exchanged for a data-plane token)."""


def _refuse_pickle(obj: object) -> NoReturn:
    raise TypeError(
        f"{type(obj).__name__} holds secrets and must not be pickled "
        "(build it inside each provider call instead of storing it on the provider)"
    )


@dataclass(frozen=True)
class Credentials:
    """Where the control plane is and how to authenticate; secrets stay out of ``repr``."""

    host: str
    """Workspace or local-plane base URL, normalised to ``scheme://host[:port]``, no slash."""
    token: str | None = field(default=None, repr=False)
    """A personal access token (or the local plane's token)."""
    client_id: str | None = None
    """OAuth M2M service-principal application id."""
    client_secret: str | None = field(default=None, repr=False)
    """OAuth M2M secret."""
    source: str = "arguments"
    """Where the credential came from: ``arguments`` or ``environment`` (for messages)."""

    @property
    def kind(self) -> str:
        """``pat`` for a bearer token, ``oauth-m2m`` for client credentials."""
        return "pat" if self.token else "oauth-m2m"

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to redact from any message."""
        return tuple(s for s in (self.token, self.client_secret) if s)

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)


def resolve_credentials(
    host: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """Resolve host and credentials: explicit arguments first, then ``DATABRICKS_*`` env vars.

    Raises ``UsageError`` (with a hint about the local plane) when the host or every
    credential is missing, when only half of the client credentials is given, or when a
    token and client credentials are both given at the same level.
    """
    env = os.environ if env is None else env
    resolved_host = _normalise_host(host or env.get("DATABRICKS_HOST", ""))
    explicit = _pick(token, client_id, client_secret, "arguments")
    chosen = explicit or _pick(
        env.get("DATABRICKS_TOKEN"),
        env.get("DATABRICKS_CLIENT_ID"),
        env.get("DATABRICKS_CLIENT_SECRET"),
        "environment",
    )
    if chosen is None:
        raise UsageError(
            f"no credentials for the control plane at {resolved_host}: set DATABRICKS_TOKEN, "
            "or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
            hint=_PLANE_HINT,
        )
    return Credentials(resolved_host, *chosen)


def _pick(
    token: str | None, client_id: str | None, client_secret: str | None, source: str
) -> tuple[str | None, str | None, str | None, str] | None:
    token, client_id, client_secret = (
        v.strip() if v else None for v in (token, client_id, client_secret)
    )
    if not (token or client_id or client_secret):
        return None
    where = "environment variables" if source == "environment" else "arguments"
    if token and (client_id or client_secret):
        raise UsageError(
            f"both a token and OAuth client credentials are set in the {where}",
            hint="keep one: unset DATABRICKS_TOKEN or DATABRICKS_CLIENT_ID/SECRET",
        )
    if not token and not (client_id and client_secret):
        missing = "client secret" if client_id else "client id"
        raise UsageError(
            f"OAuth client credentials are incomplete in the {where}: {missing} is missing",
            hint="OAuth M2M needs both DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
        )
    return token, client_id, client_secret, source


def _normalise_host(raw: str) -> str:
    """``scheme://host[:port]`` from ``raw``; a bare host gets https (http on loopback)."""
    text = raw.strip()
    if not text:
        raise UsageError(
            "no control-plane host: set DATABRICKS_HOST (e.g. https://<workspace>.cloud."
            "databricks.com, or http://127.0.0.1:<port> for the local plane)",
            hint=_PLANE_HINT,
        )
    if "://" not in text:
        local = text.split(":")[0] in ("localhost", "127.0.0.1", "[::1]")
        text = f"{'http' if local else 'https'}://{text}"  # the local plane speaks plain http
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as err:
        raise UsageError(f"DATABRICKS_HOST is not a URL: {_shown(raw)!r} ({err})") from None
    if url.scheme not in ("http", "https") or not _HOSTNAME.match(url.host):
        shown = _shown(raw)
        raise UsageError(f"DATABRICKS_HOST must be an http(s) URL with a host, got {shown!r}")
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _shown(raw: str) -> str:
    """``raw`` with any ``user:password@`` replaced, for messages."""
    return re.sub(r"//[^/@\s]*@", f"//{MASK}@", raw)


class Auth(Protocol):
    """Produces the ``Authorization`` header value for each control-plane request."""

    def authorization(self, fetch_token: TokenFetcher) -> str:
        """The header value, e.g. ``Bearer <token>``; may call ``fetch_token`` (OAuth)."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret string this auth knows, for redaction."""
        ...


@dataclass
class BearerToken:
    """Personal-access-token auth: ``Authorization: Bearer <token>``."""

    token: str = field(repr=False)

    def authorization(self, fetch_token: TokenFetcher) -> str:
        """``Bearer <token>``; never fetches anything."""
        return f"Bearer {self.token}"

    def secrets(self) -> tuple[str, ...]:
        """The token."""
        return (self.token,)

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)


@dataclass
class OAuthM2M:
    """OAuth machine-to-machine auth: client credentials exchanged for a cached access token.

    POSTs ``grant_type=client_credentials&scope=all-apis`` to ``{host}/oidc/v1/token`` with
    HTTP basic auth, caches the token and fetches a new one shortly before ``expires_in``
    runs out (a tenth of the lifetime, at most a minute, early).

    Thread-safe: ``diff``, ``drift`` and ``smoke`` share one client across worker
    threads, so the check-and-fetch runs under a lock (one fetch when the token goes
    stale mid-run, not one per worker) and each caller sends the token it got, even if
    another worker invalidates it right after. The lock is reentrant because the fetch
    is a callback of the client.

    One per process in the provider (``providers.connection.shared_auth``), so provider
    operations running at once share one token (databricks-sdk-py#1460: a token source
    rebuilt per call minted a token per request).
    """

    host: str
    client_id: str
    client_secret: str = field(repr=False)
    clock: Clock = field(default_factory=RealClock, repr=False)
    _access_token: str | None = field(default=None, init=False, repr=False)
    _refresh_at: float = field(default=float("-inf"), init=False, repr=False)
    _lock: threading.RLock = field(
        default_factory=threading.RLock, init=False, repr=False, compare=False
    )

    @property
    def token_url(self) -> str:
        """The token endpoint on the workspace host."""
        return f"{self.host}{OAUTH_TOKEN_PATH}"

    def authorization(self, fetch_token: TokenFetcher) -> str:
        """``Bearer <access token>``, fetching a new token only when the cached one is stale."""
        return f"Bearer {self.access_token(fetch_token)}"

    def access_token(self, fetch_token: TokenFetcher) -> str:
        """The cached access token, fetched again when stale (the data-plane exchange's
        ``assertion``); one fetch at a time, however many threads ask."""
        with self._lock:
            token = self._access_token
            if token is None or self.clock.now() >= self._refresh_at:
                basic = (self.client_id, self.client_secret)
                token = self._store(fetch_token(self.token_url, self._form(), basic))
        return token

    def invalidate(self, header: str | None = None) -> None:
        """Forget the cached token (the next request fetches a new one).

        ``header`` is the ``Authorization`` value a 401 answered: the token is forgotten
        only while it is still that one, so workers that all met a 401 with one revoked
        token fetch one new token, not one each.
        """
        with self._lock:
            if header is None or header == f"Bearer {self._access_token}":
                self._access_token = None

    def secrets(self) -> tuple[str, ...]:
        """The client secret and the current access token."""
        return tuple(s for s in (self.client_secret, self._access_token) if s)

    def _form(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "scope": OAUTH_SCOPE}

    def _store(self, answer: Mapping[str, Any]) -> str:
        """Cache the token of a token-endpoint ``answer`` and return it; ``UsageError``
        when the answer holds none."""
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise UsageError(
                f"the OAuth token endpoint {self.token_url} answered without an access_token",
                hint="check DATABRICKS_HOST points at a workspace (or the local plane)",
            )
        lifetime = _seconds(answer.get("expires_in"), default=3600.0)
        self._access_token = token
        self._refresh_at = self.clock.now() + lifetime - min(60.0, lifetime / 10)
        return token

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)


def oauth_access_token(auth: Auth, fetch_token: TokenFetcher) -> str:
    """The OAuth access token behind ``auth``; raises ``OAuthRequired`` for a personal
    access token (or any auth without OAuth)."""
    if isinstance(auth, OAuthM2M):
        return auth.access_token(fetch_token)
    raise OAuthRequired(
        "route-optimized endpoints accept only OAuth tokens; a personal access token "
        "cannot be exchanged for a data-plane token",
        hint=DATA_PLANE_HINT,
    )


class DataPlaneTokens:
    """Data-plane tokens for route-optimized endpoints, one per endpoint, cached until
    shortly before they expire (a tenth of the lifetime, at most a minute, early).

    The exchange (databricks-sdk-py ``data_plane.DataPlaneEndpointTokenSource.refresh``):
    ``POST {host}/oidc/v1/token`` with ``grant_type`` ``JWT_BEARER``, the OAuth access
    token as ``assertion`` and the endpoint's ``data_plane_info.query_info.
    authorization_details`` (a JSON string naming the endpoint id: the cache key).
    Safe to share between threads (``servingops smoke`` queries endpoints concurrently).
    """

    def __init__(self, host: str, clock: Clock) -> None:
        self.token_url = f"{host.rstrip('/')}{OAUTH_TOKEN_PATH}"
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        """authorization_details -> (token, clock time to exchange again)."""
        self._lock = threading.Lock()

    def authorization(
        self, details: str, assertion: Callable[[], str], fetch_token: TokenFetcher
    ) -> str:
        """``Bearer <data-plane token>`` for the endpoint ``details`` names; exchanges
        ``assertion()`` (an OAuth access token) only when no fresh token is cached."""
        with self._lock:
            cached = self._tokens.get(details)
        if cached is not None and self._clock.now() < cached[1]:
            return f"Bearer {cached[0]}"
        form = {
            "grant_type": JWT_BEARER,
            "assertion": assertion(),
            "authorization_details": details,
        }
        answer = fetch_token(self.token_url, form, None)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise UsageError(
                f"the token exchange at {self.token_url} answered without an access_token",
                hint="check DATABRICKS_HOST points at a workspace (or the local plane)",
            )
        lifetime = _seconds(answer.get("expires_in"), default=3600.0)
        with self._lock:
            self._tokens[details] = (token, self._clock.now() + lifetime - min(60.0, lifetime / 10))
        return f"Bearer {token}"

    def invalidate(self, details: str) -> None:
        """Forget the endpoint's token (the next query exchanges again)."""
        with self._lock:
            self._tokens.pop(details, None)

    def secrets(self) -> tuple[str, ...]:
        """Every data-plane token held, for redaction."""
        with self._lock:
            return tuple(token for token, _ in self._tokens.values())

    def __repr__(self) -> str:
        return f"DataPlaneTokens(token_url={self.token_url!r})"

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)


def _seconds(value: Any, *, default: float) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return default


def make_auth(credentials: Credentials, *, clock: Clock | None = None) -> Auth:
    """The ``Auth`` for resolved credentials: a bearer token, or OAuth M2M with a token cache."""
    if credentials.token:
        return BearerToken(credentials.token)
    if not (credentials.client_id and credentials.client_secret):
        raise UsageError("credentials hold neither a token nor OAuth client credentials")
    return OAuthM2M(
        credentials.host, credentials.client_id, credentials.client_secret, clock or RealClock()
    )
