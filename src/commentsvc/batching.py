"""Calls of concurrent requests to one backend sent together. While one batch is in flight, the
calls made meanwhile wait for the next, which carries all of them: a lone call goes out at
once, and under load many requests share a round trip, whose system calls and wake-ups cost
more than the small statements or commands it carries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalesced(Generic[Item, Result]):
    """``send`` gets the items queued meanwhile, in order, and returns one result per item: a
    value, or an exception raised to that item's caller alone. If ``send`` itself raises (the
    backend could not be reached), every caller of that batch gets the error."""

    def __init__(
        self, send: Callable[[Sequence[Item]], Awaitable[Sequence[Result | BaseException]]], most: int
    ) -> None:
        self._send = send
        self._most = most
        self._queued: list[tuple[Item, asyncio.Future[Result]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queued.append((item, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_queued())
        return await future

    async def _send_queued(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[: self._most], self._queued[self._most :]
                try:
                    results = await self._send([item for item, _ in batch])
                except BaseException as exc:  # the batch failed as a whole (or shutdown)
                    for _, future in batch:
                        _settle(future, exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    _settle(future, result)
        finally:
            self._sender = None
            for _, future in self._queued:  # only left when cancelled itself (shutdown)
                future.cancel()
            self._queued = []


def _settle(future: asyncio.Future[Result], outcome: Result | BaseException) -> None:
    if future.done():  # its caller gave up (cancelled)
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    elif isinstance(outcome, BaseException):
        future.cancel()
    else:
        future.set_result(outcome)
