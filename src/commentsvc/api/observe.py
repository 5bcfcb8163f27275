"""The outermost layer: a request id, one structured log line per request, and
the request metrics. It wraps the whole application so even unrouted requests count."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import secrets
import time

from litestar import Litestar
from litestar.types import Message, Receive, Scope, Send

from commentsvc import metrics
from commentsvc.api.errors import send_error
from commentsvc.api.scope import header
from commentsvc.errors import Unavailable

log = logging.getLogger("commentsvc.access")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SHUTTING_DOWN = "The service is restarting; please try again."


class Observed:
    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope["request_id"] = request_id
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # Cut short, at the end of a shutdown's grace period: a retry will do, not a 500.
            if not status:
                await send_error(send_with_id, Unavailable(SHUTTING_DOWN))
            raise
        finally:
            status = status or 500  # none sent: the server answers 500 for us
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            metrics.REQUESTS.labels(scope["method"], route, str(status)).inc()
            metrics.LATENCY.labels(scope["method"], route).observe(elapsed)
            self._record_pool()
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    }
                )
            )

    def _record_pool(self) -> None:
        pool = self.app.state.get("pool")
        if pool is not None:
            idle = pool.get_idle_size()
            metrics.POOL_CONNECTIONS.labels("idle").set(idle)
            metrics.POOL_CONNECTIONS.labels("in_use").set(pool.get_size() - idle)


# Unique without a system call per request: a random per-process prefix and a counter.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)


def _request_id(scope: Scope) -> str:
    candidate = header(scope, b"x-request-id")
    return candidate if _CLIENT_REQUEST_ID.match(candidate) else f"{_ID_PREFIX}{next(_id_counter):016x}"
