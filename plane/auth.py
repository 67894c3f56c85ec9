"""Who is calling: the start token, OAuth M2M client credentials and the tokens they buy.

Issued tokens are stored by SHA-256 digest (never in clear) with their expiry, so they
survive a restart. Tokens are compared in constant time and never appear in messages.

Data-plane tokens (route-optimized endpoints) come from the token exchange the
databricks-sdk performs (``data_plane.DataPlaneEndpointTokenSource``): ``POST
/oidc/v1/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, an
OAuth access token as ``assertion`` and the endpoint's ``authorization_details``. They
are scoped to one endpoint, valid only on its route-optimized URL, and kept in memory
(by digest; a restart forgets them and the SDK exchanges again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Literal

from plane.dataplane import QUERY_ACTION
from plane.db import Database
from plane.errors import OAuthError, Unauthenticated
from plane.settings import Clock, PlaneSettings


def digest(token: str) -> str:
    """SHA-256 hex digest of a token (what the database keeps)."""
    return hashlib.sha256(token.encode()).hexdigest()


JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Credential:
    """Who is calling and with what kind of token."""

    principal: str
    kind: Literal["pat", "oauth", "data_plane"]
    """``pat``: the start token (a personal access token); ``oauth``: an M2M token;
    ``data_plane``: an exchanged token for one route-optimized endpoint."""
    endpoint_id: str | None = None
    """The endpoint a ``data_plane`` token may query."""
    expires: float | None = None
    """When the token expires (epoch seconds); None for the start token, which never does."""


class Authenticator:
    """Checks bearer tokens and issues OAuth access tokens."""

    def __init__(self, settings: PlaneSettings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._data_plane: dict[str, tuple[str, str, float]] = {}
        """Exchanged tokens: digest → (principal, endpoint id, expiry)."""
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget the exchanged data-plane tokens (``POST /__plane/reset``)."""
        with self._lock:
            self._data_plane.clear()

    def principal(self, authorization: str | None) -> str:
        """The principal behind an ``Authorization`` header, or raise 401."""
        return self.credential(authorization).principal

    def identify(self, authorization: str | None) -> tuple[str, float | None]:
        """The principal behind an ``Authorization`` header and when its token expires
        (epoch seconds; None for the start token, which never does), or raise 401."""
        found = self.credential(authorization)
        return found.principal, found.expires

    def credential(self, authorization: str | None) -> Credential:
        """The ``Credential`` behind an ``Authorization`` header, or raise 401."""
        if not authorization:
            raise Unauthenticated(
                "Missing Authorization header; send 'Authorization: Bearer <token>'."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Unsupported Authorization header; use 'Bearer <token>'.")
        token = token.strip()
        if hmac.compare_digest(token.encode(), self.settings.token.encode()):
            return Credential(self.settings.user_name, "pat")
        key = digest(token)
        with self._lock:
            scoped = self._data_plane.get(key)
        if scoped is not None and scoped[2] > self.clock():
            return Credential(scoped[0], "data_plane", scoped[1], scoped[2])
        with self.db.lock:
            found = self.db.get_token(key)
        if found is None or found[1] <= self.clock():
            raise Unauthenticated("Invalid access token (unknown or expired).")
        return Credential(found[0], "oauth", expires=found[1])

    def issue_token(self, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
        """``POST /oidc/v1/token``: client_credentials (basic auth or form), or the
        data-plane token exchange (``jwt-bearer`` with ``assertion`` and
        ``authorization_details``)."""
        if form.get("grant_type") == JWT_BEARER:
            return self._exchange(form)
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(
                400,
                "unsupported_grant_type",
                f"Only client_credentials and {JWT_BEARER} are supported.",
            )
        client_id, client_secret = _client(form, authorization)
        if not self._client_ok(client_id, client_secret):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        token = "dose" + secrets.token_hex(24)
        ttl = self.settings.oauth_token_ttl_seconds
        with self.db.lock:
            self.db.put_token(digest(token), str(client_id), self.clock() + ttl)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": form.get("scope") or "all-apis",
        }

    def _exchange(self, form: dict[str, str]) -> dict[str, Any]:
        """Trade an OAuth access token for a token scoped to one endpoint's data plane."""
        try:
            subject = self.credential(f"Bearer {form.get('assertion', '')}")
        except Unauthenticated:
            raise OAuthError(400, "invalid_grant", "The assertion is not a valid token.") from None
        if subject.kind != "oauth":
            raise OAuthError(
                400,
                "invalid_grant",
                "The assertion must be an OAuth access token (OAuth M2M or U2M); personal "
                "access tokens cannot be exchanged for data-plane tokens.",
            )
        endpoint_id = _endpoint_of(form.get("authorization_details", ""))
        token = "dpt" + secrets.token_hex(24)
        ttl = self.settings.oauth_token_ttl_seconds
        with self._lock:
            self._data_plane[digest(token)] = (subject.principal, endpoint_id, self.clock() + ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}

    def _client_ok(self, client_id: str, client_secret: str) -> bool:
        want_id, want_secret = self.settings.client_id, self.settings.client_secret
        if not (want_id and want_secret):
            return False
        return hmac.compare_digest(client_id.encode(), want_id.encode()) & hmac.compare_digest(
            client_secret.encode(), want_secret.encode()
        )


def _client(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError(401, "invalid_client", "Malformed basic credentials.") from exc
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _endpoint_of(details: str) -> str:
    """The endpoint id of exchange ``authorization_details``; 400 invalid_request otherwise."""
    try:
        items = json.loads(details)
    except ValueError:
        items = None
    if isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict):
        item = items[0]
        path = str(item.get("object_path") or "")
        if (
            item.get("object_type") == "serving-endpoints"
            and path.startswith("/serving-endpoints/")
            and QUERY_ACTION in (item.get("actions") or [])
        ):
            return path.removeprefix("/serving-endpoints/")
    raise OAuthError(
        400,
        "invalid_request",
        "authorization_details must be the endpoint's data_plane_info.query_info."
        "authorization_details (one serving-endpoints workspace_permission).",
    )
