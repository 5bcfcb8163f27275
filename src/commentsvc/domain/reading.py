"""Reads that may be served by a replica, unless what they show changed lately: a reader then
sees the change at once (their own above all), as a replica may not have replayed it yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import asyncpg

from commentsvc.kv.recent import RecentChanges

T = TypeVar("T")


class Reads(Protocol):
    """Where a read runs (store.replicas.Reads): ``fresh``, where it sees every change committed."""

    async def run(self, read: Callable[[asyncpg.Connection], Awaitable[T]], fresh: bool = False) -> T: ...


class Reading:
    def __init__(self, reads: Reads, recent: RecentChanges) -> None:
        self._reads = reads
        self._recent = recent

    async def run(self, read: Callable[[asyncpg.Connection], Awaitable[T]], *scopes: str) -> T:
        """``read`` on a connection that sees every change to ``scopes`` (cache scopes, see
        domain.cached_pages) committed before it was asked for."""
        return await self._reads.run(read, fresh=await self._recent.any(*scopes))
