"""A real HTTP receiver on loopback (aiohttp.web, on the test's event loop) that keeps every request
it gets and answers as its script says: a status for each request in turn (then 200), HANG to
hold the request until released, a redirect to ``location`` for a 3xx. It can be stopped and
started again on the same port, as a receiver gone for a while."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.builders import eventually
from tests.served import free_port

HANG = -1


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, script: Iterable[int] = (), location: str | None = None) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.hanging = 0
        self._script = list(script)
        self._location = location
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def wait_for(self, count: int, seconds: float = 20) -> list[Received]:
        async def arrived() -> bool:
            return len(self.received) >= count

        await eventually(arrived, f"{count} request(s) at {self.url()}", seconds)
        return self.received

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.received.append(Received(request.path, headers, body))
        status = self._script.pop(0) if self._script else 200
        if status == HANG:
            self.hanging += 1
            try:
                await self._released.wait()
            finally:
                self.hanging -= 1
            status = 200
        redirect = {"Location": self._location} if self._location and 300 <= status < 400 else {}
        return web.Response(status=status, headers=redirect)
