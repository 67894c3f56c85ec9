"""Errors the plane answers with: one class per error, each fixing status and error_code.

    PlaneError                     root; ``to_body()`` is the JSON error body
    ├── MalformedRequest           400 MALFORMED_REQUEST      body is not a JSON object
    ├── InvalidParameter           400 INVALID_PARAMETER_VALUE a field breaks a rule
    ├── InvalidState               400 INVALID_STATE          endpoint cannot do that now
    ├── Unauthenticated            401 UNAUTHENTICATED        missing / unknown token
    ├── PermissionDenied           403 PERMISSION_DENIED      system endpoint, rate limit 0
    ├── EndpointNotFound           404 RESOURCE_DOES_NOT_EXIST unknown endpoint name / id
    ├── EntityNotFound             404 RESOURCE_DOES_NOT_EXIST unknown served entity
    ├── NoSuchRoute                404 ENDPOINT_NOT_FOUND     no API at that path
    ├── MethodNotAllowed           405 BAD_REQUEST            path exists, method does not
    ├── EndpointAlreadyExists      409 RESOURCE_ALREADY_EXISTS create with a taken name
    ├── UpdateInProgress           409 RESOURCE_CONFLICT      config update while IN_PROGRESS
    ├── BodyTooLarge               413 BAD_REQUEST            body over the size limit
    ├── RateLimitExceeded          429 REQUEST_LIMIT_EXCEEDED AI-gateway limit (Retry-After)
    ├── CustomError                any status/code: injected faults, inference errors
    └── OAuthError                 400/401 OAuth token errors, RFC 6749 body ``{error, ...}``

The body is ``{"error_code": ..., "message": ...}``, which the Databricks SDK maps to
its own classes. Messages never contain secrets.
"""

from __future__ import annotations

from typing import Any


class PlaneError(Exception):
    """Root of every error the plane answers with on purpose."""

    status = 500
    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def to_body(self) -> dict[str, Any]:
        """Return the JSON error body."""
        return {"error_code": self.error_code, "message": self.message}


class MalformedRequest(PlaneError):
    """Raised when the request body is not valid JSON or not an object."""

    status = 400
    error_code = "MALFORMED_REQUEST"


class InvalidParameter(PlaneError):
    """Raised when a request field is missing, mistyped or breaks a rule."""

    status = 400
    error_code = "INVALID_PARAMETER_VALUE"


class InvalidState(PlaneError):
    """Raised when the endpoint cannot do what was asked in its current state."""

    status = 400
    error_code = "INVALID_STATE"


class Unauthenticated(PlaneError):
    """Raised when the request has no token or an unknown / expired one."""

    status = 401
    error_code = "UNAUTHENTICATED"


class PermissionDenied(PlaneError):
    """Raised for writes to system endpoints and queries to a rate-limit-0 endpoint."""

    status = 403
    error_code = "PERMISSION_DENIED"


class EndpointNotFound(PlaneError):
    """Raised when no endpoint has that name (or id)."""

    status = 404
    error_code = "RESOURCE_DOES_NOT_EXIST"

    def __init__(self, name: str, *, by: str = "name") -> None:
        super().__init__(f"Endpoint with {by} '{name}' does not exist.")


class EntityNotFound(PlaneError):
    """Raised when an endpoint has no served entity of that name."""

    status = 404
    error_code = "RESOURCE_DOES_NOT_EXIST"

    def __init__(self, endpoint: str, entity: str) -> None:
        super().__init__(f"Served entity '{entity}' does not exist in endpoint '{endpoint}'.")


class NoSuchRoute(PlaneError):
    """Raised when no API lives at the requested path."""

    status = 404
    error_code = "ENDPOINT_NOT_FOUND"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"No API found for '{method} {path}'")


class MethodNotAllowed(PlaneError):
    """Raised when the path exists but not for that HTTP method."""

    status = 405
    error_code = "BAD_REQUEST"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"Method {method} is not allowed on '{path}'")


class EndpointAlreadyExists(PlaneError):
    """Raised when creating an endpoint whose name is taken."""

    status = 409
    error_code = "RESOURCE_ALREADY_EXISTS"

    def __init__(self, name: str) -> None:
        super().__init__(f"Endpoint with name '{name}' already exists.")


class UpdateInProgress(PlaneError):
    """Raised on a config change while the endpoint's config update is IN_PROGRESS."""

    status = 409
    error_code = "RESOURCE_CONFLICT"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Endpoint '{name}' is currently being updated (config_update IN_PROGRESS); "
            "wait until it is NOT_UPDATING and retry."
        )


class BodyTooLarge(PlaneError):
    """Raised when the request body exceeds the size limit."""

    status = 413
    error_code = "BAD_REQUEST"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than the limit of {limit} bytes.")


class RateLimitExceeded(PlaneError):
    """Raised when an AI-gateway rate limit is used up for the current minute."""

    status = 429
    error_code = "REQUEST_LIMIT_EXCEEDED"

    def __init__(self, endpoint: str, what: str, retry_after: int) -> None:
        super().__init__(
            f"Exceeded {what} rate limit of endpoint '{endpoint}'; retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


class CustomError(PlaneError):
    """An error with any status and code (injected faults, inference-engine errors)."""

    def __init__(
        self, status: int, error_code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, headers=headers)
        self.status = status
        self.error_code = error_code


class OAuthError(PlaneError):
    """Raised by the OAuth token route; the body follows RFC 6749 (``error``, description)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error_code = error

    def to_body(self) -> dict[str, Any]:
        """Return the RFC 6749 error body."""
        return {"error": self.error_code, "error_description": self.message}


def for_http_status(status: int, method: str, path: str, detail: str = "") -> PlaneError:
    """The error for a routing failure Starlette raised as ``HTTPException``: 404 →
    ``NoSuchRoute``, 405 → ``MethodNotAllowed``, else ``CustomError(status, BAD_REQUEST)``."""
    if status == 404:
        return NoSuchRoute(method, path)
    if status == 405:
        return MethodNotAllowed(method, path)
    return CustomError(status, "BAD_REQUEST", detail)
