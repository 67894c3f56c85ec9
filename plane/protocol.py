"""A uvicorn h11 protocol that lets the app drop a connection (the drop_connection fault).

ASGI has no way to close a socket without answering. This protocol puts the
connection's transport into ``scope["extensions"]["plane.transport"]`` so the fault
middleware can ``abort()`` it; everything else is uvicorn's h11 protocol unchanged.
"""

from __future__ import annotations

import asyncio

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from plane.middleware import TRANSPORT_KEY


class PlaneH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, exposing the transport to the app."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the app so every request of this connection can reach its transport."""
        super().connection_made(transport)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = transport
            await inner(scope, receive, send)

        self.app = app
