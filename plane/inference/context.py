"""What a query needs to know about its endpoint, and the one error a query can raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["FORWARD_MODES", "QueryContext", "QueryError", "bad_request", "invalid_value"]

FORWARD_MODES = ("none", "loopback", "all")


@dataclass
class QueryContext:
    """The endpoint being queried, as the plane's route hands it to ``run_query``."""

    endpoint_name: str
    """Name of the serving endpoint (used in messages and as a last-resort model name)."""
    task: str
    """``llm/v1/chat``, ``llm/v1/completions`` or ``llm/v1/embeddings``: decides the valid shape."""
    entity: dict[str, Any]
    """The stored served entity, write-only secrets included (server side only)."""
    http: httpx.Client | None = None
    """Client used to forward to an upstream server; ``None`` opens one per call."""
    forward: str = "loopback"
    """Which upstream base URLs may be forwarded to: ``none``, ``loopback`` or ``all``."""


class QueryError(Exception):
    """Raised when a query cannot be answered; maps straight onto the API error body."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def to_api(self) -> dict[str, Any]:
        """The Databricks error body: ``{"error_code", "message"}``."""
        return {"error_code": self.error_code, "message": self.message}


def bad_request(message: str) -> QueryError:
    """A 400 for a request of the wrong shape (missing field, field of another task)."""
    return QueryError(400, "BAD_REQUEST", message)


def invalid_value(message: str) -> QueryError:
    """A 400 for a field whose value is out of range or of the wrong type."""
    return QueryError(400, "INVALID_PARAMETER_VALUE", message)
