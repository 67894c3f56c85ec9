"""The exception tree of servingops. Every error a user can meet is one of these.

    ToolError                      root; ``str(err)`` is a complete, user-facing message
    ├── ConfigError                a bad endpoint file or setting (validation findings)
    ├── UsageError                 bad command-line flags or arguments (exit 2)
    ├── ApiError                   the control plane answered with an error status
    │   ├── BadRequest             400 INVALID_PARAMETER_VALUE, BAD_REQUEST, INVALID_STATE
    │   ├── Unauthenticated        401
    │   ├── PermissionDenied       403
    │   ├── NotFound               404 RESOURCE_DOES_NOT_EXIST
    │   ├── Conflict               409 RESOURCE_CONFLICT / RESOURCE_ALREADY_EXISTS
    │   ├── RateLimited            429 (carries ``retry_after``)
    │   └── ServerError            5xx
    │       └── UnreadableAnswer   an answer came back but could not be read (bad encoding)
    ├── ControlPlaneUnreachable    connection refused, DNS, TLS, timeouts (wraps httpx errors)
    ├── WaitTimeout                an endpoint did not settle before the deadline
    ├── UpdateFailed               config_update ended UPDATE_FAILED / UPDATE_CANCELED
    └── SmokeFailed                the post-deploy smoke query failed

Messages never contain secrets: tokens and ``*_plaintext`` values are redacted by
the code that builds them (see ``servingops.redact``).
"""

from __future__ import annotations


class ToolError(Exception):
    """Root of every error servingops raises on purpose; its text is shown to users."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(ToolError):
    """Raised when endpoint files or settings are invalid (after all findings are collected)."""


class UsageError(ToolError):
    """Raised for bad command-line flags or arguments."""


class ApiError(ToolError):
    """Raised when the control plane answers with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        method: str,
        url: str,
        endpoint: str = "",
        hint: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.method = method
        self.url = url
        self.endpoint = endpoint
        self.retry_after = retry_after


class BadRequest(ApiError):
    """Raised on 400: the control plane rejected the payload."""


class Unauthenticated(ApiError):
    """Raised on 401: missing or wrong token."""


class PermissionDenied(ApiError):
    """Raised on 403: no permission, or the endpoint is disabled by a 0-call rate limit."""


class NotFound(ApiError):
    """Raised on 404: the endpoint (or route) does not exist."""


class Conflict(ApiError):
    """Raised on 409: name taken, or another config update is in progress."""


class RateLimited(ApiError):
    """Raised on 429: throttled; ``retry_after`` seconds if the server said so."""


class ServerError(ApiError):
    """Raised on 5xx: a transient control-plane failure."""


class UnreadableAnswer(ServerError):
    """Raised when an answer came back but its body could not be read (e.g. a
    ``Content-Encoding`` it does not have); ``status`` is 0. Never retried."""


class ControlPlaneUnreachable(ToolError):
    """Raised when no HTTP answer came back (connection refused, timeout, TLS)."""


class WaitTimeout(ToolError):
    """Raised when an endpoint is still updating at the deadline."""


class UpdateFailed(ToolError):
    """Raised when a config update ends in UPDATE_FAILED or UPDATE_CANCELED."""


class SmokeFailed(ToolError):
    """Raised when the smoke query after create/update fails its checks."""
