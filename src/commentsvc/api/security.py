"""Authentication (middleware: who is calling?) and authorisation (guards and
dependencies: may they?). The middleware never refuses a request by itself."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from commentsvc.domain.tokens import AccessTokens, Principal
from commentsvc.errors import Unauthorized

SIGN_IN_REQUIRED = "Sign in to do this."


class BearerAuthentication:
    """Sets ``scope["user"]`` to the token's Principal, or None; a bad token is
    remembered in ``scope["auth_error"]`` for the guards to raise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["user"] = None
        header = _authorization(scope)
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                scope["auth_error"] = Unauthorized("Use 'Authorization: Bearer <access token>'.")
            else:
                tokens: AccessTokens = scope["app"].state.access_tokens
                try:
                    scope["user"] = tokens.verify(token.strip())
                except Unauthorized as exc:
                    scope["auth_error"] = exc
        await self.app(scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


def requires_user(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a valid access token is needed."""
    if connection.scope.get("auth_error"):
        raise connection.scope["auth_error"]
    if connection.scope.get("user") is None:
        raise Unauthorized(SIGN_IN_REQUIRED)


def provide_principal(request: Request) -> Principal:
    """The caller, on routes guarded by ``requires_user``."""
    principal = request.scope.get("user")
    if principal is None:
        raise Unauthorized(SIGN_IN_REQUIRED)
    return principal
