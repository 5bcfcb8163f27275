"""The outermost layer: a request id, one structured log line per request, the request
metrics, the security headers, and HEAD answered as GET. It wraps the whole application so
even unrouted requests count and carry the headers."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
import time

import msgspec
from litestar import Litestar
from litestar.types import Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

from commentsvc import metrics
from commentsvc.api.errors import send_error
from commentsvc.api.headers import SecurityHeaders
from commentsvc.api.scope import ANSWERED_BY_SERVER, header
from commentsvc.errors import HeadersTooLarge, Unavailable

log = logging.getLogger("commentsvc.access")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# The pool's gauges are a sample: taken at most this often, not on every request.
POOL_RECORD_SECONDS = 1.0
SHUTTING_DOWN = "The service is restarting; please try again."
# uvicorn's httptools parser takes headers of any size; nothing the service expects comes near this
# (a token and a few standard headers), so more is refused before any work is done for it.
MAX_HEADER_BYTES = 32 * 1024


class Observed:
    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.security_headers = SecurityHeaders(app.state.settings.public_url)
        # Labelled series looked up once each: prometheus_client's labels() is a locked lookup.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._pool_recorded_at = -POOL_RECORD_SECONDS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "HEAD":
            # Answered as the GET without its body (uptime monitors, CDNs and link checkers ask
            # HEAD; Litestar routes it only to handlers that have no body). The server keeps its
            # own scope, which still says HEAD.
            scope = {**scope, "method": "GET"}
        request_id = _request_id(scope)
        scope["request_id"] = request_id
        status = 0
        started = time.perf_counter()
        metrics.IN_FLIGHT.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = self.security_headers.added_to(message.get("headers", []), scope["scheme"])
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            elif method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        try:
            if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
                await send_error(send_with_id, HeadersTooLarge("The request's headers are too large."))
            else:
                await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # Cut short, at the end of a shutdown's grace period: a retry will do, not a 500.
            if not status:
                await send_error(send_with_id, Unavailable(SHUTTING_DOWN))
            raise
        finally:
            metrics.IN_FLIGHT.dec()
            status = scope.get(ANSWERED_BY_SERVER) or status or 500  # none sent: the server answers 500
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            requests, latency = self._series_of(method, route, status)
            requests.inc()
            latency.observe(elapsed)
            if started - self._pool_recorded_at >= POOL_RECORD_SECONDS:
                self._pool_recorded_at = started
                metrics.record_pool(self.app.state.get("pool"))
            if log.isEnabledFor(logging.INFO):
                line = {
                    "request_id": request_id,
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                }
                log.info(msgspec.json.encode(line).decode())

    def _series_of(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                metrics.REQUESTS.labels(method, route, str(status)),
                metrics.LATENCY.labels(method, route),
            )
        return series


# Unique without a system call per request: a random per-process prefix and a counter.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)


def _request_id(scope: Scope) -> str:
    candidate = header(scope, b"x-request-id")
    return candidate if _CLIENT_REQUEST_ID.match(candidate) else f"{_ID_PREFIX}{next(_id_counter):016x}"
