"""Delivering domain events to their subscribers.

A change writes its events in its own transaction (``Dispatcher.transaction``). Each subscriber
then gets each event of the types it takes at least once, and normally once, whichever of the
service's processes delivers it:

- A subscriber that is ``at_commit`` (idempotent, and indifferent to order: cache invalidation,
  the moderation queue's feed) is delivered the events by the process that wrote them, as soon as
  their change commits, before the request that made it is answered: a reader's next page
  already shows the change. Its deliveries are left to that process for ``AT_COMMIT_GRACE``;
  one that failed, or whose process died first, is taken by a dispatcher.
- Every other subscriber is delivered by the dispatchers that every process runs: woken by
  PostgreSQL's NOTIFY when such an event commits (it comes with the commit, needs no other
  service, and PostgreSQL holds the events anyway), and every POLL_SECONDS regardless. A
  dispatcher leases what it claims; one that dies mid-delivery loses nothing, as the lease
  expires and another takes the events again. Events of one stream (an article; a user on a
  site) arrive in the order they were written, the next waiting while one is leased or waiting
  for its retry.

A delivery that fails is tried again after a delay that grows with each attempt; once its
attempts are spent it is dead, listed by ``commentsvc events list --dead`` and sent again by
``commentsvc events replay``. Events every subscriber has taken are pruned after
EVENT_RETENTION."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from typing import ClassVar, Protocol

import asyncpg

from commentsvc.background import stop_tasks
from commentsvc.errors import DatabaseUnavailable
from commentsvc.model.events import Event, EventType, NewEvent, Retries
from commentsvc.store import events as store
from commentsvc.store.pool import connection

log = logging.getLogger("commentsvc.events")

AT_COMMIT_GRACE = timedelta(seconds=10)
LEASE = timedelta(seconds=30)
POLL_SECONDS = 2.0
BATCH = 100
RETRIES = Retries(first=timedelta(seconds=1), most=timedelta(minutes=10), attempts=12)
EVENT_RETENTION = timedelta(days=7)
PRUNE_EVERY_SECONDS = 600.0
PRUNE_BATCH = 10_000


class Subscriber(Protocol):
    name: str
    types: frozenset[EventType]
    at_commit: bool
    retries: Retries
    # How long after an event its delivery falls due (a subscriber that gathers what comes in
    # that time, such as reply e-mails); zero for at-commit subscribers, served at once.
    delay: timedelta
    # The events of its types it acts on: those whose data contains one of these patterns (None:
    # all). The others get no delivery for it, and cost it nothing.
    wants: Sequence[Mapping[str, object]] | None

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        """Act on the events, in order; raising has them all tried again later. ``conn`` is the
        connection the dispatcher holds (at commit, the change's own), for what PostgreSQL has
        to say: a second one taken from the pool while the first is held could wait forever
        once every request holds one."""


class Change:
    """The events of one change, written in its transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.written: list[Event] = []

    async def record(self, *events: NewEvent) -> None:
        if events:
            self.written += await store.record(self._conn, events)


@contextlib.asynccontextmanager
async def outside_service(conn: asyncpg.Connection) -> AsyncIterator[Change]:
    """A change's transaction in a process that runs no dispatcher (a command): once committed,
    its events are due at once for the service's dispatchers, none of which wrote them."""
    change = Change(conn)
    async with conn.transaction():
        yield change
    if change.written:
        await store.due_now(conn, [event.id for event in change.written])


class Dispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        database_url: str,
        subscribers: Sequence[Subscriber],
        lease: timedelta = LEASE,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._pool = pool
        self._database_url = database_url
        self._subscribers = list(subscribers)
        self._lease = lease
        self._poll_seconds = poll_seconds
        self._at_commit = [s for s in self._subscribers if s.at_commit]
        self._woken = asyncio.Event()
        # Set once the subscribers are registered (events written before get no delivery for a
        # subscriber new to the database).
        self.registered = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._wakes = {subscriber.name: asyncio.Event() for subscriber in self._subscribers}
        self._deliverers: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None

    @contextlib.asynccontextmanager
    async def transaction(self, conn: asyncpg.Connection) -> AsyncIterator[Change]:
        """A change's transaction, in which it records its events; once committed, they are
        delivered to the subscribers served at commit."""
        if conn.is_in_transaction():
            raise RuntimeError("a change that records events must be its own transaction")
        change = Change(conn)
        async with conn.transaction():
            yield change
        await self.committed(change.written, conn)

    async def committed(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        """Deliver events just committed on ``conn`` to the subscribers served at commit. A
        failure delays that subscriber's delivery to a retry; it never fails the change: what is
        not acknowledged here (PostgreSQL gone, the change's connection with it, mid-way), a
        dispatcher delivers once its grace has passed."""
        if not events:
            return
        try:
            await self._deliver_at_commit(events, conn)
        except Exception as exc:
            # The pool takes a lost connection back: a call on it then fails with the driver's
            # own error, before the store's translation can see it.
            log.warning("events: delivery at commit cut short, a dispatcher delivers the rest: %r", exc)

    async def _deliver_at_commit(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        delivered: list[str] = []
        for subscriber in self._at_commit:
            wanted = [event for event in events if event.type in subscriber.types]
            if not wanted:
                continue
            try:
                await subscriber.deliver(wanted, conn)
            except DatabaseUnavailable as exc:
                # PostgreSQL is out of reach, the change's connection most likely lost with it:
                # nothing more is tried on it.
                log.warning(
                    "events: PostgreSQL lost at commit, %s and the rest to be retried: %r",
                    subscriber.name,
                    exc.__cause__,
                )
                return
            except Exception as exc:
                log.warning("events: %s failed at commit, to be retried: %r", subscriber.name, exc)
                await self._failed(conn, subscriber, wanted, exc, claimed=False)
            else:
                delivered.append(subscriber.name)
        if delivered:
            try:
                await store.acknowledge(conn, delivered, [event.id for event in events])
            except DatabaseUnavailable as exc:
                # Delivered all the same: a dispatcher delivers them again after their grace.
                log.warning("events: acknowledgement lost, to be delivered again: %r", exc.__cause__)

    def start(self) -> None:
        """Run this process's dispatcher (it starts even while PostgreSQL is down): one task keeps
        the subscribers registered, listens and prunes; one per subscriber served here delivers,
        so that a subscriber waiting on a slow outside service holds up no other."""
        self._task = asyncio.create_task(self._run(), name="commentsvc-events")

    async def stop(self) -> None:
        await stop_tasks(self._task, *self._deliverers)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_prune = loop.time()
        notified = False
        while True:
            await self._listen()
            self._woken.clear()
            try:
                if not self.registered.is_set():
                    await self._register()
                    self.registered.set()
                    self._deliverers = [
                        asyncio.create_task(
                            self._deliver(subscriber), name=f"commentsvc-events-{subscriber.name}"
                        )
                        for subscriber in self._subscribers
                    ]
                # A NOTIFY says events are due now for the subscribers served at once; the others'
                # (left to their writer, or held back) fall due later, and the poll finds them.
                for subscriber in self._subscribers:
                    if not notified or (not subscriber.at_commit and not subscriber.delay):
                        self._wakes[subscriber.name].set()
                if loop.time() >= next_prune:
                    async with connection(self._pool) as conn:
                        await store.prune(conn, EVENT_RETENTION, PRUNE_BATCH)
                    next_prune = loop.time() + PRUNE_EVERY_SECONDS
            except DatabaseUnavailable as exc:
                log.warning(
                    "events: PostgreSQL unavailable, delivery resumes when it answers: %r", exc.__cause__
                )
            except Exception:
                log.exception("events: dispatcher pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._poll_seconds)
            notified = self._woken.is_set()

    async def _deliver(self, subscriber: Subscriber) -> None:
        """Deliver the subscriber's due events each time the dispatcher wakes it."""
        wake = self._wakes[subscriber.name]
        while True:
            await wake.wait()
            wake.clear()
            try:
                await self._deliver_due(subscriber)
            except DatabaseUnavailable:
                pass  # said once by the dispatcher's own pass
            except Exception:
                log.exception("events: delivering to %s failed", subscriber.name)

    async def _register(self) -> None:
        """Which types each subscriber takes, and whether its writers deliver them: from now on
        every event written of those types gets a delivery for it."""
        async with connection(self._pool) as conn:
            for subscriber in self._subscribers:
                grace = AT_COMMIT_GRACE if subscriber.at_commit else subscriber.delay
                await store.register(conn, subscriber.name, sorted(subscriber.types), grace, subscriber.wants)

    async def _listen(self) -> None:
        """Keep a listening connection (again after PostgreSQL restarts); without one, the
        dispatcher still polls."""
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await store.listen(self._database_url, self._woken.set)
        except DatabaseUnavailable as exc:
            self._listener = None
            log.warning("events: cannot listen for new events yet, polling: %r", exc.__cause__)

    async def _deliver_due(self, subscriber: Subscriber) -> None:
        """Deliver the subscriber's due events, a batch at a time, until none is due."""
        async with connection(self._pool) as conn:
            while True:
                events = await store.claim(conn, subscriber.name, BATCH, self._lease)
                if not events:
                    return
                try:
                    await subscriber.deliver(events, conn)
                except Exception as exc:
                    log.warning("events: %s failed, to be retried: %r", subscriber.name, exc)
                    await self._failed(conn, subscriber, events, exc, claimed=True)
                    return
                await store.acknowledge(conn, [subscriber.name], [event.id for event in events])

    async def _failed(
        self,
        conn: asyncpg.Connection,
        subscriber: Subscriber,
        events: Sequence[Event],
        exc: Exception,
        claimed: bool,
    ) -> None:
        try:
            await store.failed(
                conn, subscriber.name, [e.id for e in events], repr(exc), subscriber.retries, claimed
            )
        except DatabaseUnavailable:
            # Its lease or grace still runs out: it is taken again then.
            log.warning("events: could not record %s's failure; its lease will run out", subscriber.name)


class ChangingSubscriber:
    """The common part of an at-commit subscriber whose consequence is a change of its own, with
    events of its own (a claim of guests, a pin taken off): idempotent, delivered at commit, and
    given the dispatcher its change writes through once the dispatcher (made with its
    subscribers) exists."""

    at_commit: ClassVar[bool] = True
    retries = RETRIES
    delay = timedelta(0)
    wants: Sequence[Mapping[str, object]] | None = None

    def __init__(self) -> None:
        self.events: Dispatcher | None = None

    def dispatcher(self) -> Dispatcher:
        assert self.events is not None, f"{type(self).__name__}.events is set when the dispatcher is made"
        return self.events
