"""Every error becomes one JSON shape: ``{status_code, detail, code, field?, reason?}``, with the
facts a reason needs (``banned_until``, ``edit_window_minutes``). No stack trace or SQL ever
reaches a client; faults are logged with the request id."""

from __future__ import annotations

import logging
import re
from datetime import datetime

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Send

from commentsvc.errors import RateLimited, Reason, ServiceError, Unauthorized, Unavailable

log = logging.getLogger("commentsvc.errors")

RETRY_AFTER_UNAVAILABLE = "5"
_JSON_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_MISSING_PARAMETER = re.compile(r"Missing required \w+ parameter '([^']+)'")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """`detail` is a sentence in English for developers; a client shows its own words, chosen by
    `reason` when there is one, else by `code` and `field`."""

    status_code: int
    detail: str
    code: str
    field: str | None = None
    reason: Reason | None = None
    # A ban's end (absent: the ban is permanent) and the moderator's reason for it, and how long
    # the site lets authors edit.
    banned_until: datetime | None = None
    ban_reason: str | None = None
    edit_window_minutes: int | None = None


_ERROR_MEANINGS = {
    400: "The request is not valid; `field` names the offending field.",
    401: "Not signed in, or the credentials or token are not valid.",
    403: "Signed in but not allowed.",
    404: "Not found.",
    409: "Conflicts with what is stored.",
    413: "The request body is too large.",
    415: "The request body is not JSON (Content-Type: application/json).",
    422: "Cannot be done as asked (e.g. an Idempotency-Key reused for another request).",
    429: "Rate limited; see Retry-After and the RateLimit-* headers.",
    503: "A backing service is unavailable; retry after Retry-After seconds.",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The OpenAPI description of a route's possible errors (without made-up example bodies)."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody, description=_ERROR_MEANINGS[code], generate_examples=False
        )
        for code in codes
    }


def error_response(
    status_code: int, detail: str, code: str, field: str | None = None, headers: dict[str, str] | None = None
) -> Response[ErrorBody]:
    return Response(ErrorBody(status_code, detail, code, field), status_code=status_code, headers=headers)


def _body(exc: ServiceError) -> ErrorBody:
    return ErrorBody(exc.status_code, exc.detail, exc.code, exc.field, exc.reason, **exc.facts())


async def send_error(send: Send, exc: ServiceError) -> None:
    """Answer with an error straight from an ASGI middleware."""
    body = msgspec.json.encode(_body(exc))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in _headers_of(exc).items()]
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def service_error(request: Request, exc: ServiceError) -> Response[ErrorBody]:
    if isinstance(exc, Unavailable) and exc.__cause__ is not None:  # the driver's words, for the log only
        log.warning(
            "backend unavailable: %r", exc.__cause__, extra={"request_id": request.scope.get("request_id")}
        )
    return Response(_body(exc), status_code=exc.status_code, headers=_headers_of(exc))


def _headers_of(exc: ServiceError) -> dict[str, str]:
    """What an error says beside its body: how to sign in, when to try again."""
    if isinstance(exc, Unauthorized):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return dict(exc.headers)
    if isinstance(exc, Unavailable):
        return {"Retry-After": RETRY_AFTER_UNAVAILABLE}
    return {}


def validation_error(_: Request, exc: ValidationException) -> Response[ErrorBody]:
    """Name the offending field, as the contract asks."""
    problems = [p for p in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(p, dict)]
    for problem in problems:
        message = str(problem.get("message") or "")
        field = _field_of(message) or (
            str(problem["key"]) if problem.get("key") not in (None, "data") else None
        )
        message = _JSON_PATH.sub("", message) or "The request is not valid."
        if field:
            return error_response(400, f"{field}: {message}", "invalid", field)
        return error_response(400, message, "invalid")
    missing = _MISSING_PARAMETER.search(exc.detail)
    if missing:
        return error_response(
            400, f"{missing.group(1)}: this parameter is required.", "invalid", missing.group(1)
        )
    return error_response(400, "The request is not valid.", "invalid")


def _field_of(message: str) -> str | None:
    """msgspec names a field either as a JSON path or, for missing and unknown fields, in backquotes."""
    path = _JSON_PATH.search(message)
    named = _NAMED_FIELD.search(message)
    parts = [part for part in (path.group(1) if path else "", named.group(1) if named else "") if part]
    return ".".join(parts) or None


# The codes of errors Litestar raises itself (the others are the domain's, in commentsvc.errors).
HTTP_ERROR_CODES = {
    400: "invalid",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}
OTHER_HTTP_ERROR = "http_error"


# Litestar takes a body field named like a dependency (`moderation`, in PUT /me/notifications, and
# the moderation service) for a dependency that failed, and answers 500; the decoder's error it
# chains says the body is at fault (its path is under `$.data`).
_BODY_FIELD_PATH = re.compile(r" - at `\$\.data\.([^`]*)`$")


def http_error(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    cause = exc.__cause__
    if exc.status_code == 500 and isinstance(cause, msgspec.ValidationError):
        body_field = _BODY_FIELD_PATH.search(str(cause))
        if body_field:
            field = body_field.group(1)
            return error_response(400, f"{field}: {_BODY_FIELD_PATH.sub('', str(cause))}", "invalid", field)
    return error_response(
        exc.status_code,
        exc.detail,
        HTTP_ERROR_CODES.get(exc.status_code, OTHER_HTTP_ERROR),
        headers=exc.headers or None,
    )


def unexpected_error(request: Request, exc: Exception) -> Response[ErrorBody]:
    # PostgreSQL and Redis out of reach, and transactions rolled back, come as the service's own
    # errors (translated in store/ and kv/): what is left here is a fault of ours.
    log.exception("unhandled error", extra={"request_id": request.scope.get("request_id")})
    return error_response(500, "Something went wrong on our side; it has been logged.", "internal_error")


EXCEPTION_HANDLERS = {
    ServiceError: service_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
