"""CORS: a site's API routes answer cross-origin calls from that site's
registered origins only; every other route is for the service's own pages."""

from __future__ import annotations

import re

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from commentsvc.api.scope import header
from commentsvc.domain.sites import OriginDirectory

# The routes a site's own pages may call (moderation is for the service's own dashboard).
_SITE_ROUTE = re.compile(r"^/api/v1/sites/([a-z0-9][a-z0-9-]{0,62})/(?:comments|counts)$")
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSED_HEADERS = "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"


class SiteCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin")
        site = _SITE_ROUTE.match(scope["path"]) if origin else None
        if site is None:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        directory: OriginDirectory = state.origins
        allowed = origin in await directory.origins(state.pool, site.group(1))
        if scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method"):
            await _preflight(send, origin if allowed else None)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"vary", b"Origin")]
                if allowed:
                    headers += [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
                    ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _preflight(send: Send, origin: str | None) -> None:
    headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
    if origin is not None:
        headers += [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
        ]
    await send({"type": "http.response.start", "status": 204 if origin else 403, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
