"""The event outbox and its dispatchers, on a database of their own (its subscribers are this
module's): written exactly with their change, retried, dead and replayed, delivered once by
several dispatchers at a time, in order per stream, and not lost when a dispatcher dies."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import ClassVar

import asyncpg
import pytest

from commentsvc.domain.events import Dispatcher
from commentsvc.model.events import (
    ArticleChange,
    CommentReported,
    Event,
    EventType,
    NewEvent,
    Retries,
    account_event,
    comment_event,
)
from commentsvc.store import events as store
from commentsvc.store.pool import create_pool
from tests.builders import eventually, unique_name, unique_slug
from tests.conftest import RUN_ID, migrated_database, settings_for_tests

QUICK = Retries(first=timedelta(milliseconds=50), most=timedelta(milliseconds=200), attempts=5)
TYPES = frozenset(EventType)


class Probe:
    """A subscriber that records what it is delivered and can be told to fail."""

    types: ClassVar[frozenset[EventType]] = TYPES
    retries = QUICK
    delay = timedelta(0)
    wants = None

    def __init__(
        self, name: str, at_commit: bool = False, failures: int = 0, acknowledged: list[Event] | None = None
    ) -> None:
        self.name = name
        self.at_commit = at_commit
        self.failures = failures
        self.received: list[Event] = []  # every attempt
        self.acknowledged = [] if acknowledged is None else acknowledged  # the successful ones, in order

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        self.received += events
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the receiver is away")
        self.acknowledged += events


@pytest.fixture(scope="module")
async def events_db(server_settings) -> AsyncIterator[str]:
    async with migrated_database(server_settings, f"commentsvc_events_{RUN_ID}") as url:
        yield url


@pytest.fixture
async def pool(events_db: str, server_settings, redis_prefix) -> AsyncIterator[asyncpg.Pool]:
    # The service's own pool: its connections raise the service's errors, as the dispatcher expects.
    pool = await create_pool(settings_for_tests(server_settings, events_db, redis_prefix))
    yield pool
    await pool.execute("DELETE FROM event_subscribers; DELETE FROM event_deliveries")  # each test's own
    await pool.close()


async def make_article(pool: asyncpg.Pool) -> tuple[int, int]:
    site_id = await pool.fetchval(
        "INSERT INTO sites (slug, name) VALUES ($1, 'Events') RETURNING id", unique_slug()
    )
    article_id = await pool.fetchval(
        "INSERT INTO articles (site_id, key) VALUES ($1, $2) RETURNING id", site_id, unique_name("article")
    )
    return site_id, article_id


def locked(site_id: int, article_id: int) -> NewEvent:
    return NewEvent(EventType.ARTICLE_LOCKED, site_id, article_id, ArticleChange(locked=True))


async def started(events_db: str, pool: asyncpg.Pool, *subscribers: Probe, lease: float = 30) -> Dispatcher:
    dispatcher = Dispatcher(pool, events_db, subscribers, lease=timedelta(seconds=lease), poll_seconds=0.2)
    dispatcher.start()
    await asyncio.wait_for(dispatcher.registered.wait(), 10)
    return dispatcher


async def undelivered(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM event_deliveries")


async def test_an_event_is_written_when_its_change_commits_and_never_when_it_rolls_back(events_db, pool):
    probe = Probe(unique_name("probe"), at_commit=True)
    dispatcher = await started(events_db, pool, probe)
    site_id, article_id = await make_article(pool)
    try:
        async with pool.acquire() as conn:
            with pytest.raises(RuntimeError, match="refused"):
                async with dispatcher.transaction(conn) as change:
                    await conn.execute("UPDATE articles SET locked = true WHERE id = $1", article_id)
                    await change.record(locked(site_id, article_id))
                    raise RuntimeError("refused")
            assert await conn.fetchval("SELECT count(*) FROM events WHERE article_id = $1", article_id) == 0
            assert not await conn.fetchval("SELECT locked FROM articles WHERE id = $1", article_id)

            async with dispatcher.transaction(conn) as change:
                await conn.execute("UPDATE articles SET locked = true WHERE id = $1", article_id)
                await change.record(locked(site_id, article_id))
        written = await pool.fetch(
            "SELECT id, type, data::text FROM events WHERE article_id = $1", article_id
        )
        assert [(row["type"], row["data"]) for row in written] == [("article.locked", '{"locked": true}')]
        # Delivered by the writer once committed, and acknowledged.
        assert [event.id for event in probe.received] == [written[0]["id"]]
        assert await undelivered(pool) == 0
    finally:
        await dispatcher.stop()


async def test_a_subscriber_that_fails_three_times_gets_the_event_each_time_then_acknowledges_it(
    events_db, pool
):
    probe = Probe(unique_name("probe"), failures=3)
    dispatcher = await started(events_db, pool, probe)
    site_id, article_id = await make_article(pool)
    try:
        async with pool.acquire() as conn, dispatcher.transaction(conn) as change:
            await change.record(locked(site_id, article_id))
        event_id = change.written[0].id

        async def acknowledged() -> bool:
            return await undelivered(pool) == 0

        await eventually(acknowledged, "the fourth attempt acknowledged")
        assert [event.id for event in probe.received] == [event_id] * 4
    finally:
        await dispatcher.stop()


async def test_a_delivery_whose_attempts_are_spent_is_dead_until_replayed_from_the_command_line(
    events_db, pool, server_settings
):
    probe = Probe(unique_name("probe"), failures=QUICK.attempts)
    dispatcher = await started(events_db, pool, probe)
    site_id, article_id = await make_article(pool)
    environment = {**os.environ, "COMMENTSVC_DATABASE_URL": events_db}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "commentsvc.cli", "events", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    try:
        async with pool.acquire() as conn, dispatcher.transaction(conn) as change:
            await change.record(locked(site_id, article_id))
        event_id = change.written[0].id

        async def dead() -> bool:
            return await pool.fetchval("SELECT count(*) FROM event_deliveries WHERE dead_at IS NOT NULL") == 1

        await eventually(dead, "the delivery dead")
        assert len(probe.received) == QUICK.attempts
        listed = cli("list", "--dead")
        assert listed.returncode == 0, listed.stderr
        assert f"event {event_id} article.locked" in listed.stdout
        assert f"-> {probe.name}, {QUICK.attempts} attempt(s), dead since" in listed.stdout
        assert "RuntimeError('the receiver is away')" in listed.stdout

        # Bad input: one sentence, nothing changed.
        refused = cli("replay")
        assert (refused.returncode, refused.stderr.count("\n")) == (2, 1)
        assert "--all" in refused.stderr
        assert cli("replay", "x").returncode == 2
        assert await dead()

        replayed = cli("replay", str(event_id))
        assert replayed.returncode == 0, replayed.stderr
        assert "1 dead delivery sent again" in replayed.stdout

        async def acknowledged() -> bool:
            return await undelivered(pool) == 0

        await eventually(acknowledged, "the replayed delivery acknowledged")
        assert [event.id for event in probe.received] == [event_id] * (QUICK.attempts + 1)
        assert cli("replay", "--all").returncode == 1  # nothing left to replay
    finally:
        await dispatcher.stop()


async def test_two_instances_of_two_workers_deliver_every_event_to_every_subscriber_once(
    events_db, pool, server_settings, redis_prefix
):
    """Four dispatchers, each with its own pool and listening connection, as two `commentsvc
    serve --workers 2` would run them; writers commit through all four at once."""
    queued_name, at_commit_name = unique_name("queued"), unique_name("at-commit")
    settings = settings_for_tests(server_settings, events_db, redis_prefix)
    pools = [await create_pool(dataclasses.replace(settings, db_pool_size=4)) for _ in range(4)]
    queued = [Probe(queued_name) for _ in pools]
    at_commit = [Probe(at_commit_name, at_commit=True) for _ in pools]
    dispatchers = [
        await started(events_db, p, q, c) for p, q, c in zip(pools, queued, at_commit, strict=True)
    ]
    articles = [await make_article(pool) for _ in range(5)]

    async def writer(n: int) -> list[int]:
        dispatcher, written = dispatchers[n % 4], []
        async with pools[n % 4].acquire() as conn:
            for i in range(40):
                site_id, article_id = articles[(n + i) % len(articles)]
                async with dispatcher.transaction(conn) as change:
                    await change.record(locked(site_id, article_id))
                written.append(change.written[0].id)
        return written

    try:
        written = [i for ids in await asyncio.gather(*(writer(n) for n in range(8))) for i in ids]

        async def all_delivered() -> bool:
            return await undelivered(pool) == 0

        await eventually(all_delivered, "every delivery acknowledged")
        for probes in (queued, at_commit):
            counted = Counter(event.id for probe in probes for event in probe.received)
            assert counted == Counter(written)  # each event once, none missing
        # The queued subscriber's deliveries were shared among the dispatchers.
        assert sum(1 for probe in queued if probe.received) >= 2
    finally:
        for dispatcher in dispatchers:
            await dispatcher.stop()
        for p in pools:
            await p.close()


async def test_events_of_one_article_arrive_in_commit_order_even_around_a_retry(events_db, pool):
    """Writers change three articles at once, each change taking its article's row (as a change of
    its count does); two dispatchers deliver, each failing its first batch."""
    name, acknowledged = unique_name("ordered"), []
    probes = [Probe(name, failures=1, acknowledged=acknowledged) for _ in range(2)]
    dispatchers = [await started(events_db, pool, probe) for probe in probes]
    articles = [await make_article(pool) for _ in range(3)]
    committed: dict[int, list[tuple[int, int]]] = defaultdict(list)  # article: (commit position, event)

    async def writer(n: int) -> None:
        async with pool.acquire() as conn:
            for i in range(30):
                site_id, article_id = articles[(n + i) % 3]
                async with dispatchers[n % 2].transaction(conn) as change:
                    position = await conn.fetchval(
                        "UPDATE articles SET comment_count = comment_count + 1 WHERE id = $1 RETURNING comment_count",
                        article_id,
                    )
                    await change.record(locked(site_id, article_id))
                committed[article_id].append((position, change.written[0].id))

    try:
        await asyncio.gather(*(writer(n) for n in range(6)))

        async def all_delivered() -> bool:
            return await undelivered(pool) == 0

        await eventually(all_delivered, "every delivery acknowledged")
        assert all(probe.failures == 0 for probe in probes if probe.received)
        keys = {row["id"]: row["key"] for row in await pool.fetch("SELECT id, key FROM articles")}
        arrived: dict[str, list[int]] = defaultdict(list)
        for event in acknowledged:
            arrived[event.article or ""].append(event.id)
        assert arrived == {
            keys[article]: [i for _, i in sorted(pairs)] for article, pairs in committed.items()
        }
    finally:
        for dispatcher in dispatchers:
            await dispatcher.stop()


DYING_DISPATCHER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import timedelta
    import asyncpg
    from commentsvc.domain.events import Dispatcher
    from commentsvc.model.events import EventType

    class Stuck:
        name, types, at_commit, retries, delay, wants = sys.argv[2], frozenset(EventType), False, None, timedelta(0), None
        async def deliver(self, events, conn):
            print("delivering", *(e.id for e in events), flush=True)
            await asyncio.Event().wait()

    async def main():
        pool = await asyncpg.create_pool(sys.argv[1], min_size=1, max_size=2)
        dispatcher = Dispatcher(pool, sys.argv[1], [Stuck()], lease=timedelta(seconds=2), poll_seconds=0.2)
        dispatcher.start()
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


async def test_a_dispatcher_killed_mid_delivery_loses_nothing(events_db, pool):
    name = unique_name("survivor")
    site_id, article_id = await make_article(pool)
    # The event is written before any dispatcher of this subscriber runs, so the dying one takes it.
    await store.register(pool, name, sorted(TYPES), timedelta(0), None)
    async with pool.acquire() as conn, conn.transaction():
        (event,) = await store.record(conn, [locked(site_id, article_id)])
    dying = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DYING_DISPATCHER, events_db, name, stdout=asyncio.subprocess.PIPE
    )
    try:
        line = await asyncio.wait_for(dying.stdout.readline(), 30)  # type: ignore[union-attr]
        assert line.decode().split() == ["delivering", str(event.id)]
        dying.send_signal(signal.SIGKILL)
        await asyncio.wait_for(dying.wait(), 10)
    finally:
        if dying.returncode is None:
            dying.kill()
            await dying.wait()
    survivor = Probe(name)
    dispatcher = await started(events_db, pool, survivor)
    try:

        async def redelivered() -> bool:
            return await undelivered(pool) == 0

        # Not before the dead one's lease ran out.
        assert [e.id for e in survivor.received] == []
        await eventually(redelivered, "the event delivered after the lease ran out")
        assert [e.id for e in survivor.received] == [event.id]
    finally:
        await dispatcher.stop()


async def test_delivered_events_are_pruned_and_undelivered_ones_kept(events_db, pool):
    probe = Probe(unique_name("probe"))
    site_id, article_id = await make_article(pool)
    await store.register(pool, probe.name, sorted(TYPES), timedelta(0), None)
    async with pool.acquire() as conn, conn.transaction():
        kept, delivered = await store.record(
            conn,
            [
                locked(site_id, article_id),
                comment_event(EventType.COMMENT_DELETED, site_id, article_id, 1, None, "deleted", "approved"),
            ],
        )
        await conn.execute("DELETE FROM event_deliveries WHERE event_id = $1", delivered.id)
        await conn.execute(
            "UPDATE events SET occurred_at = now() - interval '8 days' WHERE id = ANY ($1::bigint[])",
            [kept.id, delivered.id],
        )
    async with pool.acquire() as conn:
        assert await store.prune(conn, timedelta(days=7), 1000) >= 1
        remaining = await conn.fetch(
            "SELECT id FROM events WHERE id = ANY ($1::bigint[])", [kept.id, delivered.id]
        )
    assert [row["id"] for row in remaining] == [kept.id]


class Hanging(Probe):
    """A subscriber whose delivery waits on an outside service until released."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        self.entered.set()
        await self.release.wait()
        await super().deliver(events, conn)


async def test_a_subscriber_waiting_on_a_slow_service_holds_up_no_other(events_db, pool):
    slow, quick = Hanging(unique_name("slow")), Probe(unique_name("quick"))
    dispatcher = await started(events_db, pool, slow, quick)
    site_id, article_id = await make_article(pool)
    try:
        async with pool.acquire() as conn, dispatcher.transaction(conn) as change:
            await change.record(locked(site_id, article_id))
        await asyncio.wait_for(slow.entered.wait(), 10)

        async def quick_has_it() -> bool:
            return [e.id for e in quick.acknowledged] == [change.written[0].id]

        await eventually(quick_has_it, "the quick subscriber served while the slow one waits")
        assert slow.acknowledged == []
        slow.release.set()

        async def slow_has_it() -> bool:
            return [e.id for e in slow.acknowledged] == [change.written[0].id]

        await eventually(slow_has_it, "the slow subscriber served once released")
    finally:
        slow.release.set()
        await dispatcher.stop()


async def test_a_delayed_subscribers_delivery_falls_due_its_delay_after_the_event(events_db, pool):
    delayed = Probe(unique_name("delayed"))
    delayed.delay = timedelta(seconds=1)
    dispatcher = await started(events_db, pool, delayed)
    site_id, article_id = await make_article(pool)
    try:
        async with pool.acquire() as conn, dispatcher.transaction(conn) as change:
            await change.record(locked(site_id, article_id))
        [event] = change.written
        due = await pool.fetchval(
            "SELECT d.due_at - e.occurred_at FROM event_deliveries d JOIN events e ON e.id = d.event_id "
            "WHERE d.subscriber = $1",
            delayed.name,
        )
        # Due its delay after the event (the trigger's clock runs on a little within the statement).
        assert timedelta(seconds=1) <= due < timedelta(seconds=2)

        async def delivered() -> bool:
            return [e.id for e in delayed.acknowledged] == [event.id]

        await eventually(delivered, "the delayed delivery")
    finally:
        await dispatcher.stop()


async def test_an_accounts_event_belongs_to_no_site_and_is_delivered_in_its_own_stream(events_db, pool):
    probe = Probe(unique_name("accounts"))
    dispatcher = await started(events_db, pool, probe)
    user_id = await pool.fetchval(
        "INSERT INTO users (username, email, display_name, password_hash) VALUES ($1, $2, 'A', 'x') RETURNING id",
        unique_name("acct"),
        f"{unique_name()}@example.org",
    )
    try:
        async with pool.acquire() as conn, dispatcher.transaction(conn) as change:
            await change.record(account_event(EventType.ACCOUNT_RESET_REQUESTED, user_id, token_id=7))
        [event] = change.written
        assert (event.site_id, event.site, event.article) == (None, None, None)
        assert event.data == {"user_id": user_id, "token_id": 7}
        assert (
            await pool.fetchval("SELECT stream FROM events WHERE id = $1", event.id) == f"account:{user_id}"
        )

        async def delivered() -> bool:
            return [e.id for e in probe.acknowledged] == [event.id]

        await eventually(delivered, "the account's event delivered")
    finally:
        await dispatcher.stop()


async def test_a_subscriber_gets_only_the_events_whose_data_it_wants(events_db, pool):
    picky = Probe(unique_name("picky"))
    picky.wants = [{"status": "pending"}, {"item_opened": True}]
    dispatcher = await started(events_db, pool, picky)
    site_id, article_id = await make_article(pool)
    try:
        async with pool.acquire() as conn, dispatcher.transaction(conn) as change:
            await change.record(
                comment_event(EventType.COMMENT_CREATED, site_id, article_id, 1, None, "approved"),
                comment_event(EventType.COMMENT_CREATED, site_id, article_id, 2, None, "pending"),
                NewEvent(
                    EventType.COMMENT_REPORTED, site_id, article_id, CommentReported(3, item_opened=False)
                ),
                NewEvent(
                    EventType.COMMENT_REPORTED, site_id, article_id, CommentReported(4, item_opened=True)
                ),
            )
        wanted = [change.written[1].id, change.written[3].id]
        # The others got no delivery for it at all (one stream: they would come in order).
        pending = await pool.fetch("SELECT event_id FROM event_deliveries WHERE subscriber = $1", picky.name)
        assert {row["event_id"] for row in pending} <= set(wanted)

        async def delivered() -> bool:
            return [e.id for e in picky.acknowledged] == wanted

        await eventually(delivered, "the two wanted events, and only they")

        # Acknowledged once delivered: the probe hears them before the dispatcher's delete commits.
        async def acknowledged() -> bool:
            count = "SELECT count(*) FROM event_deliveries WHERE subscriber = $1"
            return await pool.fetchval(count, picky.name) == 0

        await eventually(acknowledged, "no delivery left for the subscriber")
    finally:
        await dispatcher.stop()


class Severing(Probe):
    """An at-commit subscriber whose first delivery finds the change's connection gone."""

    def __init__(self, name: str, pool: asyncpg.Pool) -> None:
        super().__init__(name, at_commit=True)
        self.pool = pool

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        if not self.received:
            self.received += events
            await self.pool.execute("SELECT pg_terminate_backend($1)", conn.get_server_pid())
            await conn.execute("SELECT 1")  # PostgreSQL out of reach, as the service says it
        await super().deliver(events, conn)


async def test_a_connection_lost_at_commit_fails_no_change_and_every_subscriber_gets_its_events(
    events_db, pool
):
    severing = Severing(unique_name("severing"), pool)
    after = Probe(unique_name("after"), at_commit=True)
    dispatcher = await started(events_db, pool, severing, after, lease=1)
    site_id, article_id = await make_article(pool)
    try:
        async with pool.acquire() as conn:
            async with dispatcher.transaction(conn) as change:
                await change.record(locked(site_id, article_id))
        # Committed, and nothing more tried on the lost connection: the subscriber after it was
        # not delivered at commit; a dispatcher delivers both once their grace has passed.
        assert after.received == []
        [event_id] = [event.id for event in severing.received]

        async def both_delivered() -> bool:
            return [e.id for e in severing.acknowledged] == [e.id for e in after.acknowledged] == [event_id]

        await eventually(both_delivered, "both subscribers delivered by a dispatcher", seconds=15)
        await eventually(lambda: _none_left(pool), "the deliveries acknowledged", seconds=5)
    finally:
        await dispatcher.stop()


async def _none_left(pool: asyncpg.Pool) -> bool:
    return await undelivered(pool) == 0
