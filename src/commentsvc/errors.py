"""The one error hierarchy of the domain. The HTTP layer maps each class to a
status code; ``code`` is the stable machine-readable name clients switch on."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Invalid(ServiceError):
    status_code = 400
    code = "invalid"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class RequestTimeout(ServiceError):
    """The client stopped sending its request; answered by the server itself, not by a route."""

    status_code = 408
    code = "request_timeout"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(ServiceError):
    """Well-formed, but cannot be done as asked (e.g. an Idempotency-Key reused for another request)."""

    status_code = 422
    code = "unprocessable"


class HeadersTooLarge(ServiceError):
    status_code = 431
    code = "headers_too_large"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.headers = headers


class Unavailable(ServiceError):
    """A backing service (PostgreSQL, Redis) cannot be reached right now."""

    status_code = 503
    code = "unavailable"
