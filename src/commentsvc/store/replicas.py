"""Reads that may be a moment behind the primary, served by PostgreSQL streaming replicas.

A replica's lag is measured in WAL, not in time since its last replayed transaction (which grows
on an idle primary with nothing to replay): every CHECK_SECONDS the primary's WAL position is
noted, and a replica is as far behind as the oldest position it has not replayed yet. A replica
further behind than the bound, unreachable, or no longer in recovery (promoted: it has left the
primary's history) is taken out, and put back once a check finds it well. A read that fails on a
replica runs again on the primary: readers never see a replica's failure."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import asyncpg

from commentsvc.background import stop_tasks
from commentsvc.config import Settings
from commentsvc.errors import DatabaseUnavailable, RolledBack
from commentsvc.store.pool import UNAVAILABLE_ERRORS, connect, connection, create_replica_pool

log = logging.getLogger("commentsvc.replicas")
T = TypeVar("T")

CHECK_SECONDS = 1.0
# A replica that cannot give a connection at once is skipped for the primary: a reader waits for
# no replica.
REPLICA_ACQUIRE_SECONDS = 1.0
# How long a check waits for an answer from a server.
CHECK_TIMEOUT_SECONDS = 2.0

# Where the primary inserts WAL, not where it has written it to: a commit made with
# synchronous_commit off is in the former at once, in the latter only later.
_PRIMARY_POSITION = "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
_REPLAYED = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn"


class Replica:
    def __init__(self, name: str, pool: asyncpg.Pool) -> None:
        self.name = name
        self.pool = pool
        # Out until the first check finds it well: nothing is known of its lag before.
        self.in_service = False

    def take_out(self, why: str) -> None:
        if self.in_service:
            log.warning("replica %s taken out: %s; its reads go to the primary", self.name, why)
        self.in_service = False

    def put_back(self, lag: float) -> None:
        if not self.in_service:
            log.info("replica %s in service (%.1f s behind the primary)", self.name, lag)
        self.in_service = True


async def open_replicas(settings: Settings) -> list[Replica]:
    return [
        Replica(f"#{n}", await create_replica_pool(settings, url))
        for n, url in enumerate(settings.database_replica_urls, 1)
    ]


def fresh_window_ms(settings: Settings) -> int:
    """How long after a change what it touched is read from the primary: a replica in service
    was within the lag bound at its last check, and a check is due every CHECK_SECONDS. Without
    replicas every read is the primary's, and nothing need be noted."""
    if not settings.database_replica_urls:
        return 0
    return int((settings.replica_max_lag_seconds + 2 * CHECK_SECONDS) * 1000)


class Reads:
    """The one way reads reach a replica: ``run`` a read on a replica in service, or on the
    primary when ``fresh`` (it must see every change committed before) or none is."""

    def __init__(self, primary: asyncpg.Pool, replicas: Sequence[Replica] = ()) -> None:
        self._primary = primary
        self._replicas = list(replicas)
        self._turn = itertools.count()

    async def run(self, read: Callable[[asyncpg.Connection], Awaitable[T]], fresh: bool = False) -> T:
        if not fresh:
            for replica in self._candidates():
                try:
                    async with connection(replica.pool, REPLICA_ACQUIRE_SECONDS) as conn:
                        return await read(conn)
                except DatabaseUnavailable as exc:
                    replica.take_out(f"a read failed ({exc.__cause__!r})")
                except RolledBack:
                    pass  # a query cancelled by the replay of a conflicting change: the primary has none
        async with connection(self._primary) as conn:
            return await read(conn)

    def _candidates(self) -> list[Replica]:
        """The replicas in service, a different one first each time."""
        serving = [replica for replica in self._replicas if replica.in_service]
        if not serving:
            return []
        first = next(self._turn) % len(serving)
        return serving[first:] + serving[:first]


class ReplicaMonitor:
    """Checks every replica each CHECK_SECONDS, taking out and putting back."""

    def __init__(self, primary: asyncpg.Pool, replicas: Sequence[Replica], max_lag_seconds: float) -> None:
        self._primary = primary
        self._replicas = list(replicas)
        self._max_lag = max_lag_seconds
        # (when, primary's WAL position): as far back as a replica in service may be behind.
        self._positions: deque[tuple[float, int]] = deque()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._replicas:
            self._task = asyncio.create_task(self._run(), name="replica-monitor")

    async def stop(self) -> None:
        await stop_tasks(self._task)

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(CHECK_SECONDS)

    async def check(self) -> None:
        now = time.monotonic()
        position = await _position(self._primary, _PRIMARY_POSITION)
        if position is not None:
            self.note(now, int(position[0]))
        await asyncio.gather(*(self._check(replica, now) for replica in self._replicas))

    def note(self, now: float, position: int) -> None:
        """The primary's WAL position at ``now``."""
        self._positions.append((now, position))
        # One position older than the bound is kept: a replica short of it is too far behind.
        while len(self._positions) > 1 and self._positions[1][0] < now - self._max_lag:
            self._positions.popleft()

    async def _check(self, replica: Replica, now: float) -> None:
        replayed = await _position(replica.pool, _REPLAYED)
        if replayed is None:
            replica.take_out("unreachable")
            return
        in_recovery, position = replayed
        if not in_recovery or position is None:
            replica.take_out("it is not replaying the primary's WAL (promoted, or not a standby)")
            return
        lag = self.lag(int(position), now)
        if lag > self._max_lag:
            replica.take_out(f"at least {lag:.1f} s behind the primary (the bound is {self._max_lag:g} s)")
        else:
            replica.put_back(lag)

    def lag(self, replayed: int, now: float) -> float:
        """Since when the primary has held a change this replica has not replayed (0: none)."""
        behind = next((when for when, position in self._positions if position > replayed), None)
        return 0.0 if behind is None else now - behind


async def _position(pool: asyncpg.Pool, query: str) -> asyncpg.Record | None:
    try:
        async with connection(pool, CHECK_TIMEOUT_SECONDS) as conn:
            return await conn.fetchrow(query, timeout=CHECK_TIMEOUT_SECONDS)
    except (TimeoutError, DatabaseUnavailable):
        return None


async def connect_for_reading(settings: Settings) -> asyncpg.Connection:
    """A connection for a command's long read (an export): to the first replica that has replayed
    every change the primary had committed when asked (waiting up to the lag bound for it), else
    to the primary. The primary must answer: it says how far the replicas have to be."""
    primary = await connect(settings)
    for url in settings.database_replica_urls:
        try:
            replica = await asyncpg.connect(url, timeout=CHECK_TIMEOUT_SECONDS)
        except (asyncpg.PostgresError, *UNAVAILABLE_ERRORS) as exc:
            log.warning("replica unusable, trying the next: %r", exc)
            continue
        try:
            if await wait_for_replay(primary, replica, settings.replica_max_lag_seconds):
                await primary.close()
                return replica
        except (asyncpg.PostgresError, *UNAVAILABLE_ERRORS) as exc:
            log.warning("replica unusable, trying the next: %r", exc)
        await replica.close()
    return primary


async def wait_for_replay(
    primary: asyncpg.Connection, replica: asyncpg.Connection, max_wait_seconds: float
) -> bool:
    """Whether ``replica`` has replayed everything ``primary`` had committed when asked, waiting
    up to ``max_wait_seconds`` for it (a command's read, such as an export, that must see it all)."""
    target = await primary.fetchval(_PRIMARY_POSITION)
    deadline = time.monotonic() + max_wait_seconds
    while True:
        in_recovery, position = await replica.fetchrow(_REPLAYED)
        if not in_recovery or position is None:
            return False
        if position >= target:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
