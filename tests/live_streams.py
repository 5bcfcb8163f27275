"""A reader of an article's live updates (Server-Sent Events) over a real connection, for the
tests of live updates: it collects the events as they come, and waits for them with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx


@dataclass
class Heard:
    event: str
    id: int
    data: dict


@dataclass
class Listener:
    events: list[Heard] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    retry: int | None = None

    def comments(self) -> list[int]:
        return [heard.data["id"] for heard in self.events if heard.event == "comment"]

    def counts(self) -> list[int]:
        return [heard.data["comment_count"] for heard in self.events if heard.event == "count"]

    @property
    def last_id(self) -> int:
        return self.events[-1].id

    async def heard(self, what: str, seconds: float = 1.0, **expected: object) -> Heard:
        """The first event named ``what`` whose data has ``expected``, waited for ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            for heard in self.events:
                if heard.event == what and all(heard.data.get(k) == v for k, v in expected.items()):
                    return heard
            assert time.monotonic() < deadline, f"never heard {what} {expected}; heard {self.events}"
            await asyncio.sleep(0.01)


async def _read(response: httpx.Response, listener: Listener) -> None:
    fields: dict[str, str] = {}
    try:
        async for line in response.aiter_lines():
            if line == "":
                if "data" in fields:
                    listener.events.append(
                        Heard(fields.get("event", "message"), int(fields["id"]), json.loads(fields["data"]))
                    )
                elif "retry" in fields:
                    listener.retry = int(fields["retry"])
                    listener.opened.set()
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
    except httpx.TransportError:
        pass  # the server went away: the listener has ended
    finally:
        listener.ended.set()


@contextlib.asynccontextmanager
async def listening(
    base_url: str, site: str, article: str, last_event_id: int | None = None
) -> AsyncIterator[Listener]:
    """An open stream of the article (resuming after ``last_event_id``), once the server opened it."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(5, read=None)) as client,
        client.stream(
            "GET", f"/api/v1/sites/{site}/live", params={"article": article}, headers=headers
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        listener = Listener()
        reading = asyncio.create_task(_read(response, listener))
        try:
            await asyncio.wait_for(listener.opened.wait(), 5)
            yield listener
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
