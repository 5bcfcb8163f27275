"""Authentication (middleware: who is calling?) and authorisation (guards and
dependencies: may they?). The middleware never refuses a request by itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from commentsvc.api.errors import send_error
from commentsvc.api.scope import header
from commentsvc.domain.tokens import AccessTokens, Principal
from commentsvc.errors import Unauthorized, UnsupportedMediaType

SIGN_IN_REQUIRED = "Sign in to do this."
JSON_ONLY = "Send the request body as JSON, with Content-Type: application/json."


class BearerAuthentication:
    """Sets ``scope["user"]`` to the token's Principal, or None; a bad token is
    remembered in ``scope["auth_error"]`` for the guards to raise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["user"] = None
        authorization = header(scope, b"authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                scope["auth_error"] = Unauthorized("Use 'Authorization: Bearer <access token>'.")
            else:
                tokens: AccessTokens = scope["app"].state.access_tokens
                try:
                    scope["user"] = tokens.verify(token.strip())
                except Unauthorized as exc:
                    scope["auth_error"] = exc
        await self.app(scope, receive, send)


async def requires_user(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard: a valid access token of an account that still exists. An erased account's token
    stays valid until it expires, and these routes do not otherwise read the caller's account,
    so the guard looks it up: one primary-key probe. (Async, so Litestar does not hop to a thread.)"""
    await requires_token(connection, handler)
    state = connection.app.state
    await state.accounts.check_exists(state.pool, connection.scope["user"].user_id)


async def requires_token(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard: a valid access token, on routes whose handler reads the caller's account anyway and
    answers 401 when it is gone (posting, in its batched read; /me and below): no second look-up."""
    await refuses_bad_token(connection, handler)
    if connection.scope.get("user") is None:
        raise Unauthorized(SIGN_IN_REQUIRED)


async def refuses_bad_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard for public routes: a token, if one is sent, must be valid, so the client
    refreshes it rather than silently seeing less. A guard rather than a dependency
    raising: Litestar leaves a dependency taken before one that raises (a pooled
    connection) unreleased, while guards run before any dependency."""
    if connection.scope.get("auth_error"):
        raise connection.scope["auth_error"]


def guard_then(
    guard: Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]],
    hook: Callable[[Request], Awaitable[None]],
) -> Callable[[Request], Awaitable[None]]:
    """A ``before_request`` hook running ``guard``, then ``hook``: on the hottest routes, in
    place of ``guards=[guard]``, for which Litestar copies the route handler on every request
    (a cost a cached read notices: bench/README.md). The order stays: guard, then hooks."""

    async def guarded(request: Request) -> None:
        await guard(request, request.route_handler)
        await hook(request)

    return guarded


def provide_principal(request: Request) -> Principal:
    """The caller, on routes guarded by ``requires_user`` or ``requires_token``."""
    principal = request.scope.get("user")
    if principal is None:
        raise Unauthorized(SIGN_IN_REQUIRED)
    return principal


def provide_viewer(request: Request) -> Principal | None:
    """The caller if signed in, on public routes (guarded by ``refuses_bad_token``)."""
    return request.scope.get("user")


# A route's ``opt`` key: the route takes a form as well (RFC 8058's one-click unsubscribe, as mail
# clients send it). Such a route acts on a token in its URL, never on a sign-in a cross-site form
# could borrow.
FORM_BODY = "form_body"
# A route's ``opt`` key: the route takes a file as its body (an import's upload), sent as
# UPLOAD_TYPE, which browsers, unlike a form's types, never send cross-site without a preflight.
UPLOAD_BODY = "upload_body"
UPLOAD_TYPE = "application/octet-stream"
UPLOAD_ONLY = f"Send the file as the request body, with Content-Type: {UPLOAD_TYPE}."


class JsonOnly:
    """State-changing requests with a body must be JSON (or, on an upload's route, a file). A
    cross-site form or a `text/plain` fetch, which browsers send without a preflight, is refused
    (CSRF)."""

    BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
    FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in self.BODY_METHODS and _has_body(scope):
            media_type = header(scope, b"content-type").split(";", 1)[0].strip().lower()
            opt = scope["route_handler"].opt
            # Answered here rather than raised, so the outer layers (CORS) still see the response.
            if opt.get(UPLOAD_BODY):
                if media_type != UPLOAD_TYPE:
                    await send_error(send, UnsupportedMediaType(UPLOAD_ONLY))
                    return
            elif media_type != "application/json" and not (
                media_type in self.FORM_TYPES and opt.get(FORM_BODY)
            ):
                await send_error(send, UnsupportedMediaType(JSON_ONLY))
                return
        await self.app(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    length = header(scope, b"content-length")
    return (length not in ("", "0")) or bool(header(scope, b"transfer-encoding"))
