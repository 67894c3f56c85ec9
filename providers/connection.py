"""How a provider process reaches the control plane: stack settings → a client.

The dynamic-provider host unpickles a provider once per process and calls its
``configure`` with the stack config; ``settings_from`` keeps the control-plane keys
(``servingops:host``, ``token``, ``clientId``, ``clientSecret``, and the timeouts
``httpTimeoutSeconds``, ``connectTimeoutSeconds``, ``retryBudgetSeconds``) and ``open_client``
builds a client from them, or from the ``DATABRICKS_*`` environment when unset.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pulumi.dynamic import ConfigureRequest

from servingops.auth import make_auth, resolve_credentials
from servingops.client import ControlPlaneClient
from servingops.clientsettings import ClientSettings, client_settings

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


def settings_from(req: ConfigureRequest) -> dict[str, str]:
    """The control-plane settings present in a configure request (empty values dropped)."""
    out = {}
    for attr, key in CONFIG_KEYS.items():
        value = req.config.get(key)
        if value:
            out[attr] = str(value)
    return out


def open_client(settings: Mapping[str, str], http: httpx.Client | None) -> ControlPlaneClient:
    """A client for the configured (or environment) workspace; ``http`` injected in tests."""
    get = settings.get
    creds = resolve_credentials(get("host"), get("token"), get("client_id"), get("client_secret"))
    tuning = client_settings(settings, base=ClientSettings.from_env())
    return ControlPlaneClient(creds.host, make_auth(creds), http=http, settings=tuning)
