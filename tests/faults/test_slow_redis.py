"""A Redis that answers far slower than COMMENTSVC_REDIS_TIMEOUT_SECONDS: every request still
answers promptly, from PostgreSQL and the in-process limiter; none waits for Redis."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import httpx

from commentsvc.config import RateLimit
from tests.builders import (
    PASSWORD,
    eventually,
    moderation_queue,
    post_comment,
)
from tests.faults.conftest import checked_client, ready
from tests.faults.test_redis_down import count, scene, visible_ids

# Far longer than the Redis timeout (0.25 s) and than any request may take: a request that
# waited for Redis even once would blow the bound.
DELAY_SECONDS = 30
BOUND_SECONDS = 10
LOGIN = RateLimit(6, 60)


class SlowProxy:
    """TCP between the service and Redis; while ``slow``, each chunk either way waits DELAY_SECONDS."""

    def __init__(self, redis_port: int) -> None:
        self.redis_port = redis_port
        self.slow = False
        self._pumps: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[int]:
        """Listen; yield the port."""
        server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            server.close()
            for pump in self._pumps:
                pump.cancel()
            await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _connect(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        redis_in, redis_out = await asyncio.open_connection("127.0.0.1", self.redis_port)
        for pump in (self._pump(client_in, redis_out), self._pump(redis_in, client_out)):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                if self.slow:
                    await asyncio.sleep(DELAY_SECONDS)
                sink.write(chunk)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()


async def answered(request) -> httpx.Response:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(BOUND_SECONDS):
        return await request


async def test_a_slow_redis_never_holds_up_reading_posting_or_signing_in(service_settings, backing_servers):
    proxy = SlowProxy(backing_servers.redis.port)
    async with proxy.running() as port:
        settings = dataclasses.replace(
            service_settings,
            redis_url=f"redis://127.0.0.1:{port}/0",
            rate_limits={**service_settings.rate_limits, "login": LOGIN},
        )
        async with checked_client(settings) as client:
            site, moderator, author, article, first = await scene(client, settings)

            proxy.slow = True

            readiness = await answered(client.get("/readyz"))
            assert readiness.status_code == 503 and readiness.json()["redis"] == "unreachable"
            published = await answered(post_comment(client, author, site, article))
            held = await answered(post_comment(client, author, site, article, "promo du jour"))
            assert held["status"] == "pending"
            readers = [answered(visible_ids(client, site, article)) for _ in range(20)]
            assert await asyncio.gather(*readers) == [[first["id"], published["id"]]] * 20
            assert await answered(count(client, site, article)) == 2
            sign_in = {"login": author.username, "password": PASSWORD}
            logins = [
                await answered(client.post("/api/v1/auth/login", json=sign_in)) for _ in range(LOGIN.count)
            ]
            assert [r.status_code for r in logins] == [200] * 3 + [429] * 3
            queue = await answered(
                client.get(f"/api/v1/sites/{site}/moderation/queue", headers=moderator.auth)
            )
            assert queue.status_code == 503

            proxy.slow = False

            await eventually(lambda: ready(client), "/readyz says ready once Redis is fast again")
            assert await visible_ids(client, site, article) == [first["id"], published["id"]]
            assert [i["comment"]["id"] for i in await moderation_queue(client, site, moderator)] == [
                held["id"]
            ]
