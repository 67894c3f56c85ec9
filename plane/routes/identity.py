"""Who am I: ``GET /api/2.0/preview/scim/v2/Me`` (SDK ``current_user.me()``, CLI ``auth describe``).

The answer is a SCIM ``User`` (databricks-sdk ``iam.User``): ``id`` (digits, stable per
principal), ``userName``, ``displayName``, ``active``, ``emails``, ``groups``,
``schemas``. The start token's principal is the user ``PlaneSettings.user_name``; an
OAuth M2M token's principal is the service principal's application (client) id, which
real workspaces answer as ``userName`` too.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plane.routes.common import ok, principal_of

SCIM_ME = "/api/2.0/preview/scim/v2/Me"
USER_SCHEMAS = [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:workspace:2.0:User",
]


def scim_user(principal: str) -> dict[str, Any]:
    """The SCIM ``User`` of ``principal`` (a user name or an OAuth client id)."""
    digest = hashlib.sha256(principal.encode()).hexdigest()
    user: dict[str, Any] = {
        "id": str(int(digest[:13], 16)),
        "userName": principal,
        "displayName": principal.split("@")[0],
        "active": True,
        "groups": [{"display": "users", "type": "direct", "value": "1"}],
        "schemas": USER_SCHEMAS,
    }
    if "@" in principal:
        user["emails"] = [{"value": principal, "type": "work", "primary": True}]
    return user


async def me(request: Request) -> Response:
    """GET /preview/scim/v2/Me: the caller (``attributes`` / ``excludedAttributes`` ignored)."""
    return ok(scim_user(principal_of(request)))


ROUTES = [Route(SCIM_ME, me, methods=["GET"])]
