"""The event outbox (sql/0012): events written with their changes, and each subscriber's
deliveries of them, claimed under a lease, acknowledged, retried or dead."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

import asyncpg
import msgspec

from commentsvc.errors import DatabaseUnavailable
from commentsvc.model.events import Delivery, Event, EventType, NewEvent, Retries
from commentsvc.store.pool import UNAVAILABLE_ERRORS

# Every write of an event a dispatcher must take (not left to its writer) notifies this channel
# at commit (sql/0012 names it too).
CHANNEL = "commentsvc_events"

_EVENT = "e.id, e.type, e.site_id, s.slug AS site, a.key AS article, e.occurred_at, e.data::text AS data"
_DATA = msgspec.json.Decoder(dict)


def event_from(row: asyncpg.Record, prefix: str = "") -> Event:
    """An event from a row with the columns of ``_EVENT``, each name after ``prefix`` (another
    store module's statement that writes events names them so)."""
    return Event(
        row[f"{prefix}id"],
        EventType(row[f"{prefix}type"]),
        row[f"{prefix}site_id"],
        row[f"{prefix}site"],
        row[f"{prefix}article"],
        row[f"{prefix}occurred_at"],
        _DATA.decode(row[f"{prefix}data"]),
    )


async def record(conn: asyncpg.Connection, events: Sequence[NewEvent]) -> list[Event]:
    """Write the events (in the caller's transaction), in order."""
    rows = await conn.fetch(
        f"""WITH e AS (
                INSERT INTO events (type, site_id, article_id, stream, data)
                SELECT type, site_id, article_id, stream, data::jsonb
                FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])
                     WITH ORDINALITY AS arg (type, site_id, article_id, stream, data, n)
                ORDER BY n
                RETURNING *)
            SELECT {_EVENT} FROM e LEFT JOIN sites s ON s.id = e.site_id LEFT JOIN articles a ON a.id = e.article_id
            ORDER BY e.id""",
        [event.type.value for event in events],
        [event.site_id for event in events],
        [event.article_id for event in events],
        [event.stream for event in events],
        [msgspec.json.encode(event.data).decode() for event in events],
    )
    return [event_from(row) for row in rows]


async def register(
    conn: asyncpg.Connection,
    name: str,
    types: Sequence[str],
    grace: timedelta,
    wants: Sequence[Mapping[str, object]] | None,
) -> None:
    await conn.execute(
        """INSERT INTO event_subscribers (name, types, grace, wants) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (name) DO UPDATE SET types = excluded.types, grace = excluded.grace, wants = excluded.wants
           WHERE (event_subscribers.types, event_subscribers.grace, event_subscribers.wants)
                 IS DISTINCT FROM (excluded.types, excluded.grace, excluded.wants)""",
        name,
        list(types),
        grace,
        None if wants is None else msgspec.json.encode(list(wants)).decode(),
    )


async def claim(conn: asyncpg.Connection, subscriber: str, most: int, lease: timedelta) -> list[Event]:
    """Up to ``most`` due deliveries of the subscriber's, leased to the caller, in the order they
    were written; a delivery waits while an earlier one of its stream is leased or waiting for a
    retry. Claims of one subscriber are taken one at a time (its row is locked meanwhile), so two
    dispatchers never take the same delivery nor two of one stream. One instant decides what is
    due (the statement's start): read twice, a retry could fall due between its own row, left
    out, and a later one of its stream, let through."""
    async with conn.transaction():
        if (
            await conn.fetchval(
                "SELECT 1 FROM event_subscribers WHERE name = $1 FOR NO KEY UPDATE", subscriber
            )
            is None
        ):
            return []
        rows = await conn.fetch(
            f"""WITH taken AS (
                    UPDATE event_deliveries d SET due_at = statement_timestamp() + $3, attempts = d.attempts + 1
                    WHERE d.subscriber = $1 AND d.event_id IN (
                        SELECT c.event_id FROM event_deliveries c
                        WHERE c.subscriber = $1 AND c.dead_at IS NULL AND c.due_at <= statement_timestamp()
                          AND NOT EXISTS (
                              SELECT FROM event_deliveries w
                              WHERE w.subscriber = $1 AND w.stream = c.stream AND w.event_id < c.event_id
                                AND w.dead_at IS NULL AND w.due_at > statement_timestamp())
                        ORDER BY c.event_id LIMIT $2)
                    RETURNING d.event_id)
                SELECT {_EVENT} FROM taken JOIN events e ON e.id = taken.event_id
                LEFT JOIN sites s ON s.id = e.site_id LEFT JOIN articles a ON a.id = e.article_id
                ORDER BY e.id""",
            subscriber,
            most,
            lease,
        )
    return [event_from(row) for row in rows]


async def acknowledge(conn: asyncpg.Connection, subscribers: Sequence[str], event_ids: Sequence[int]) -> None:
    await conn.execute(
        "DELETE FROM event_deliveries WHERE subscriber = ANY ($1::text[]) AND event_id = ANY ($2::bigint[])",
        list(subscribers),
        list(event_ids),
    )


async def failed(
    conn: asyncpg.Connection,
    subscriber: str,
    event_ids: Sequence[int],
    error: str,
    retries: Retries,
    claimed: bool,
) -> None:
    """Deliveries that failed: due again after a delay that grows with their attempts, or dead
    once their attempts are spent. ``claimed``: the attempt was counted when claimed (a
    delivery its writer tried at commit was not)."""
    await conn.execute(
        """UPDATE event_deliveries d
           SET attempts = d.attempts + n.added, last_error = $3,
               due_at = clock_timestamp() + least($4::interval * power(2, d.attempts + n.added - 1), $5::interval),
               dead_at = CASE WHEN d.attempts + n.added >= $6 THEN clock_timestamp() END
           FROM (SELECT CASE WHEN $7 THEN 0 ELSE 1 END AS added) n
           WHERE d.subscriber = $1 AND d.event_id = ANY ($2::bigint[])""",
        subscriber,
        list(event_ids),
        error[:1000],
        retries.first,
        retries.most,
        retries.attempts,
        claimed,
    )


async def deliveries(
    conn: asyncpg.Connection, dead_only: bool, subscriber: str | None, most: int
) -> list[Delivery]:
    rows = await conn.fetch(
        f"""SELECT d.subscriber, d.attempts, d.due_at, d.dead_at, d.last_error, {_EVENT}
            FROM event_deliveries d JOIN events e ON e.id = d.event_id
            LEFT JOIN sites s ON s.id = e.site_id LEFT JOIN articles a ON a.id = e.article_id
            WHERE (NOT $1 OR d.dead_at IS NOT NULL) AND ($2::text IS NULL OR d.subscriber = $2)
            ORDER BY d.event_id, d.subscriber LIMIT $3""",
        dead_only,
        subscriber,
        most,
    )
    return [
        Delivery(
            row["subscriber"],
            event_from(row),
            row["attempts"],
            row["due_at"],
            row["dead_at"],
            row["last_error"],
        )
        for row in rows
    ]


async def replay(conn: asyncpg.Connection, subscriber: str | None, event_ids: Sequence[int] | None) -> int:
    """Dead deliveries (of one subscriber, or these events) due again now, their attempts
    counted afresh; a dispatcher is woken. The number replayed."""
    async with conn.transaction():
        replayed = await conn.fetchval(
            """WITH r AS (
                   UPDATE event_deliveries SET dead_at = NULL, attempts = 0, due_at = clock_timestamp()
                   WHERE dead_at IS NOT NULL AND ($1::text IS NULL OR subscriber = $1)
                     AND ($2::bigint[] IS NULL OR event_id = ANY ($2::bigint[]))
                   RETURNING 1)
               SELECT count(*) FROM r""",
            subscriber,
            list(event_ids) if event_ids is not None else None,
        )
        if replayed:
            await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return int(replayed)


async def due_now(conn: asyncpg.Connection, event_ids: Sequence[int]) -> None:
    """The events' deliveries, due at once (those left to their writer for a grace included)."""
    await conn.execute(
        """UPDATE event_deliveries SET due_at = clock_timestamp()
           WHERE event_id = ANY ($1::bigint[]) AND due_at > clock_timestamp()""",
        list(event_ids),
    )


async def prune(conn: asyncpg.Connection, older_than: timedelta, most: int) -> int:
    """Delete up to ``most`` events older than ``older_than`` that no subscriber still has to
    take (delivered, or never wanted); the number deleted."""
    deleted = await conn.fetchval(
        """WITH gone AS (
               DELETE FROM events WHERE id IN (
                   SELECT e.id FROM events e
                   WHERE e.occurred_at < now() - $1::interval
                     AND NOT EXISTS (SELECT FROM event_deliveries d WHERE d.event_id = e.id)
                   ORDER BY e.id LIMIT $2)
               RETURNING 1)
           SELECT count(*) FROM gone""",
        older_than,
        most,
    )
    return int(deleted)


async def listen(database_url: str, woken: Callable[[], None]) -> asyncpg.Connection:
    """A connection of its own (pooled ones keep no LISTEN) on which each notification of the
    channel calls ``woken``. Whatever keeps it from listening is DatabaseUnavailable."""
    try:
        conn = await asyncpg.connect(database_url, timeout=10)
        await conn.add_listener(CHANNEL, lambda *_: woken())
    except (*UNAVAILABLE_ERRORS, asyncpg.PostgresError) as exc:
        raise DatabaseUnavailable() from exc
    return conn
