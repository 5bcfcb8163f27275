"""uvicorn's HTTP protocol (httptools) with read deadlines, which uvicorn lacks: its keep-alive
timer stops at a request's first byte, so a client sending half its headers, or a body a byte at
a time, would otherwise hold a connection (and a slot of the proxy before it) for ever. A large
body that keeps coming (an import's upload, up to a gigabyte) is no such client: its deadline
moves on with every BODY_PROGRESS_BYTES received while the service still reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from commentsvc.api.errors import ErrorBody
from commentsvc.api.scope import ANSWERED_BY_SERVER, LIVE_STREAM
from commentsvc.errors import RequestTimeout

_LATE_BODY = RequestTimeout("The request's body did not arrive in time.")
_LATE_BODY_JSON = msgspec.json.encode(ErrorBody(_LATE_BODY.status_code, _LATE_BODY.detail, _LATE_BODY.code))
LATE_BODY_RESPONSE = b"".join(
    [
        STATUS_LINE[_LATE_BODY.status_code],
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(_LATE_BODY_JSON),
        b"connection: close\r\n\r\n",
        _LATE_BODY_JSON,
    ]
)


# At least this much of a body within each body timeout keeps its connection: about 35 kB/s with
# the default 30 s, well below any uplink that sends a gigabyte.
BODY_PROGRESS_BYTES = 1024 * 1024


class DeadlineProtocol(HttpToolsProtocol):
    """A request's headers must all arrive within ``header_timeout`` of its first byte (or of the
    connection's opening), and its body within ``body_timeout`` of its headers, or of its last
    BODY_PROGRESS_BYTES while the service has not answered. Between requests uvicorn's keep-alive
    timeout applies, and no deadline runs while the service answers."""

    def __init__(self, *args: Any, header_timeout: float, body_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._body_progress = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_late)

    def data_received(self, data: bytes) -> None:
        # Bytes after a request read whole begin the next one.
        if self._deadline is None:
            self._arm(self.header_timeout, self._headers_late)
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # One pipelined after a request read whole in the same bytes.
        if self._deadline is None:
            self._arm(self.header_timeout, self._headers_late)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._body_progress = 0
        self._arm(self.body_timeout, self._body_late)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._body_progress += len(body)
        cycle = self.cycle
        answering = cycle is None or cycle.response_started
        if self._body_progress >= BODY_PROGRESS_BYTES and self._deadline is not None and not answering:
            self._body_progress = 0
            self._arm(self.body_timeout, self._body_late)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def shutdown(self) -> None:
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and cycle.scope.get(LIVE_STREAM):
            # A live stream never ends by itself, so it would hold the shutdown for its whole
            # grace period: closed now, as its reader had left (it reconnects and resumes).
            self.transport.close()
            return
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float, late: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, late)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_late(self) -> None:
        self._deadline = None
        self.transport.close()

    def _body_late(self) -> None:
        """Answered 408 if nothing was answered yet (the service, waiting for the body, is told
        the client is gone), then closed: what is left of the body is never read."""
        self._deadline = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_started and not self.pipeline:
            cycle.scope[ANSWERED_BY_SERVER] = _LATE_BODY.status_code  # type: ignore[literal-required]
            cycle.disconnected = True
            cycle.message_event.set()
            self.transport.write(LATE_BODY_RESPONSE)
        self.transport.close()
