"""How a provider process reaches the control plane: stack settings → a client.

The dynamic-provider host unpickles a provider once per process and calls its
``configure`` with the stack config; ``settings_from`` keeps the control-plane keys
(``servingops:host``, ``token``, ``clientId``, ``clientSecret``, and the timeouts
``httpTimeoutSeconds``, ``connectTimeoutSeconds``, ``retryBudgetSeconds``) and ``open_client``
builds a client from them, or from the ``DATABRICKS_*`` environment when unset.

One HTTP transport per process: ``open_client`` takes its ``httpx.Client`` (one TLS
context, one connection pool) from ``shared_http``, a process-level cache keyed by the
client tuning, so a provider call costs a request, not a new TLS context (about 45 ms of
CPU each; issue 13). The cache lives in this module, never on the provider instance,
so it is never pickled into Pulumi state. ``httpx`` is thread-safe for requests, and the
provider server runs many operations at once on it (``providers.server``).

One OAuth token per process: with OAuth M2M credentials (``clientId``/``clientSecret`` or
``DATABRICKS_CLIENT_ID``/``SECRET``) ``open_client`` takes its auth from ``shared_auth``,
one ``servingops.auth.OAuthM2M`` per (host, client id, keyed hash of the secret), so the
provider's concurrent operations share one access token, fetched once (under a lock) and
again shortly before it expires or once after a 401, instead of one token request per
call (the workspace rate-limits its token endpoint). The key holds an HMAC of the secret
under a per-process random key, never the secret; the cache, like the transports, lives
in this module and is never pickled.

Heavy modules (httpx, the client) are imported on first use: a program or a preview
that makes no API call does not load them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from pulumi.dynamic import ConfigureRequest

    from servingops.auth import Auth, Credentials, OAuthM2M
    from servingops.client import ControlPlaneClient
    from servingops.clientsettings import ClientSettings
    from servingops.clock import Clock

CONFIG_KEYS = {
    "host": "host",
    "token": "token",
    "client_id": "clientId",
    "client_secret": "clientSecret",
    "httpTimeoutSeconds": "httpTimeoutSeconds",
    "connectTimeoutSeconds": "connectTimeoutSeconds",
    "retryBudgetSeconds": "retryBudgetSeconds",
}
"""Our setting name → the stack config key (``servingops:<key>``)."""

POOL_CONNECTIONS = 128
"""Connections the shared transport may open at once: above the provider's worker count
(``providers.server.DEFAULT_WORKERS``), so no operation waits for a connection."""

_SHARED: dict[ClientSettings, httpx.Client] = {}
_SHARED_LOCK = threading.Lock()
_AUTHS: dict[tuple[str, str, str], OAuthM2M] = {}
"""(host, client id, HMAC-SHA256 of the client secret) → this process's token cache."""
_SECRET_KEY = os.urandom(32)
"""This process's HMAC key for ``_AUTHS``: a digest in memory cannot be checked against
guessed secrets offline."""


def settings_from(req: ConfigureRequest) -> dict[str, str]:
    """The control-plane settings present in a configure request (empty values dropped)."""
    out = {}
    for attr, key in CONFIG_KEYS.items():
        value = req.config.get(key)
        if value:
            out[attr] = str(value)
    return out


def shared_http(tuning: ClientSettings) -> httpx.Client:
    """This process's ``httpx.Client`` for ``tuning`` (made on first use, then reused).

    Keyed by the client tuning only (timeouts): it holds no credentials — the client
    sends the ``Authorization`` header per request — so one transport serves any host.
    """
    import httpx

    with _SHARED_LOCK:
        http = _SHARED.get(tuning)
        if http is None or http.is_closed:
            timeout = httpx.Timeout(tuning.timeout_s, connect=tuning.connect_timeout_s)
            limits = httpx.Limits(
                max_connections=POOL_CONNECTIONS, max_keepalive_connections=POOL_CONNECTIONS
            )
            http = _SHARED[tuning] = httpx.Client(timeout=timeout, limits=limits)
        return http


def shared_auth(creds: Credentials, clock: Clock | None = None) -> Auth:
    """The ``Auth`` for ``creds``: a bearer token as is; for OAuth M2M this process's
    ``OAuthM2M`` for (host, client id, secret), made on first use (on ``clock``, default
    the real clock) and reused, so every provider call shares its access token."""
    from servingops.auth import OAuthM2M, make_auth
    from servingops.clock import RealClock

    if creds.token or not (creds.client_id and creds.client_secret):
        return make_auth(creds, clock=clock)
    digest = hmac.new(_SECRET_KEY, creds.client_secret.encode(), hashlib.sha256).hexdigest()
    key = (creds.host, creds.client_id, digest)
    with _SHARED_LOCK:
        auth = _AUTHS.get(key)
        if auth is None:
            secret, clock = creds.client_secret, clock or RealClock()
            auth = _AUTHS[key] = OAuthM2M(creds.host, creds.client_id, secret, clock)
        return auth


def close_shared() -> None:
    """Close and forget every shared transport and token cache (tests; a process exit
    needs nothing)."""
    with _SHARED_LOCK:
        for http in _SHARED.values():
            http.close()
        _SHARED.clear()
        _AUTHS.clear()


def open_client(
    settings: Mapping[str, str], http: httpx.Client | None, *, clock: Clock | None = None
) -> ControlPlaneClient:
    """A client for the configured (or environment) workspace.

    ``http`` is injected in tests; otherwise the process's shared transport is used (the
    returned client does not close it). OAuth M2M credentials share this process's token
    cache (``shared_auth``); ``clock`` (tests) times the client and a new token cache.
    Raises ``UsageError`` for missing credentials and ``ConfigError`` for bad settings
    (``servingops.auth``, ``servingops.clientsettings``).
    """
    from servingops.auth import resolve_credentials
    from servingops.client import ControlPlaneClient
    from servingops.clientsettings import ClientSettings, client_settings

    get = settings.get
    creds = resolve_credentials(get("host"), get("token"), get("client_id"), get("client_secret"))
    tuning = client_settings(settings, base=ClientSettings.from_env())
    transport = http if http is not None else shared_http(tuning)
    auth = shared_auth(creds, clock)
    return ControlPlaneClient(creds.host, auth, http=transport, settings=tuning, clock=clock)
