"""CORS: a site's API routes answer cross-origin calls from that site's
registered origins only; every other route is for the service's own pages."""

from __future__ import annotations

import re

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from commentsvc.api.errors import send_error
from commentsvc.api.limits import rate_limit
from commentsvc.api.scope import header
from commentsvc.domain.sites import OriginDirectory
from commentsvc.errors import RateLimited

# The routes a site's own pages may call (moderation is for the service's own dashboard).
_SITE_ROUTE = re.compile(r"^/api/v1/sites/([a-z0-9][a-z0-9-]{0,62})/(?:comments|counts|live)$")
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSED_HEADERS = "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"
# Whether these routes' answers carry CORS headers depends on Origin, so every answer says so,
# one to a request without Origin too: a cache (a CDN keeps /counts) must not hand it to a page.
_VARY = (b"vary", b"Origin")
# A preflight counts as a read of its address, before its site's origins are looked up: each
# names a site, and one made-up slug after another would otherwise cost a lookup each, unlimited.
_limit_preflight = rate_limit(address="read")


class SiteCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site = _SITE_ROUTE.match(scope["path"])
        if site is None:
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        if not origin:
            await self.app(scope, receive, _adding(send, [_VARY]))
            return
        state = scope["app"].state
        directory: OriginDirectory = state.origins
        if scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method"):
            try:
                await _limit_preflight(Request(scope))
            except RateLimited as exc:
                await send_error(send, exc)
                return
            allowed = origin in await directory.origins(state.pool, site.group(1))
            await _preflight(send, origin if allowed else None)
            return
        headers = [_VARY]
        if origin in await directory.origins(state.pool, site.group(1)):
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
            ]
        await self.app(scope, receive, _adding(send, headers))


def _adding(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    async def send_with(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return send_with


async def _preflight(send: Send, origin: str | None) -> None:
    headers = [_VARY, (b"content-length", b"0")]
    if origin is not None:
        headers += [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
        ]
    await send({"type": "http.response.start", "status": 204 if origin else 403, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
