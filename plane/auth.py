"""Who is calling: the start token, OAuth M2M client credentials and the tokens they buy.

Issued tokens are stored by SHA-256 digest (never in clear) with their expiry, so they
survive a restart. Tokens are compared in constant time and never appear in messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from plane.db import Database
from plane.errors import OAuthError, Unauthenticated
from plane.settings import Clock, PlaneSettings


def digest(token: str) -> str:
    """SHA-256 hex digest of a token (what the database keeps)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    """Checks bearer tokens and issues OAuth access tokens."""

    def __init__(self, settings: PlaneSettings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock

    def principal(self, authorization: str | None) -> str:
        """The principal behind an ``Authorization`` header, or raise 401."""
        return self.identify(authorization)[0]

    def identify(self, authorization: str | None) -> tuple[str, float | None]:
        """The principal behind an ``Authorization`` header and when its token expires
        (epoch seconds; None for the start token, which never does), or raise 401."""
        if not authorization:
            raise Unauthenticated(
                "Missing Authorization header; send 'Authorization: Bearer <token>'."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Unsupported Authorization header; use 'Bearer <token>'.")
        token = token.strip()
        if hmac.compare_digest(token.encode(), self.settings.token.encode()):
            return self.settings.user_name, None
        with self.db.lock:
            found = self.db.get_token(digest(token))
        if found is None or found[1] <= self.clock():
            raise Unauthenticated("Invalid access token (unknown or expired).")
        return found[0], found[1]

    def issue_token(self, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
        """``POST /oidc/v1/token`` with grant_type=client_credentials (basic auth or form)."""
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Only client_credentials is supported.")
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
