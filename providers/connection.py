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

Heavy modules (httpx, the client) are imported on first use: a program or a preview
that makes no API call does not load them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from pulumi.dynamic import ConfigureRequest

    from servingops.client import ControlPlaneClient
    from servingops.clientsettings import ClientSettings

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


def close_shared() -> None:
    """Close and forget every shared transport (tests; a process exit needs nothing)."""
    with _SHARED_LOCK:
        for http in _SHARED.values():
            http.close()
        _SHARED.clear()


def open_client(settings: Mapping[str, str], http: httpx.Client | None) -> ControlPlaneClient:
    """A client for the configured (or environment) workspace.

    ``http`` is injected in tests; otherwise the process's shared transport is used (the
    returned client does not close it). Raises ``UsageError`` for missing credentials and
    ``ConfigError`` for bad settings (``servingops.auth``, ``servingops.clientsettings``).
    """
    from servingops.auth import make_auth, resolve_credentials
    from servingops.client import ControlPlaneClient
    from servingops.clientsettings import ClientSettings, client_settings

    get = settings.get
    creds = resolve_credentials(get("host"), get("token"), get("client_id"), get("client_secret"))
    tuning = client_settings(settings, base=ClientSettings.from_env())
    transport = http if http is not None else shared_http(tuning)
    return ControlPlaneClient(creds.host, make_auth(creds), http=transport, settings=tuning)
