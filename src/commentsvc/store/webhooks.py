"""Webhooks and their deliveries (sql/0017): registered, listed and removed per site; each
event fanned out to the webhooks that take it; deliveries claimed under a lease, recorded
attempt by attempt, and pruned once finished long enough ago."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import asyncpg

from commentsvc.model.events import Event
from commentsvc.model.webhooks import DueDelivery, LastDelivery, NewWebhook, Webhook
from commentsvc.store.events import event_from

_PENDING = "d.delivered_at IS NULL AND d.dead_at IS NULL"


def _webhook(row: asyncpg.Record) -> Webhook:
    last = None
    if row["last_delivery_at"] is not None:
        last = LastDelivery(
            row["last_delivery_at"], row["last_status"], row["last_attempt"], row["last_error"]
        )
    return Webhook(row["id"], row["url"], row["events"], last)


async def insert(
    conn: asyncpg.Connection, site_id: int, url: str, events: Sequence[str], secret: str
) -> NewWebhook:
    row = await conn.fetchrow(
        "INSERT INTO webhooks (site_id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING id",
        site_id,
        url,
        list(events),
        secret,
    )
    return NewWebhook(row["id"], url, list(events), secret)


async def of_site(conn: asyncpg.Connection, site_id: int) -> list[Webhook]:
    rows = await conn.fetch(
        """SELECT id, url, events, last_delivery_at, last_status, last_error, last_attempt
           FROM webhooks WHERE site_id = $1 ORDER BY id""",
        site_id,
    )
    return [_webhook(row) for row in rows]


async def delete(conn: asyncpg.Connection, site_id: int, webhook_id: int) -> str | None:
    """The URL of the site's webhook, deleted with its deliveries (pending ones too); None when
    the site had no such webhook."""
    return await conn.fetchval(
        "DELETE FROM webhooks WHERE id = $1 AND site_id = $2 RETURNING url", webhook_id, site_id
    )


async def fan_out(conn: asyncpg.Connection, events: Sequence[Event]) -> int:
    """A delivery, due now, for each webhook of each event's site that takes its type; an event
    fanned out again adds none. The number added."""
    added = await conn.fetchval(
        """WITH added AS (
               INSERT INTO webhook_deliveries (event_id, webhook_id)
               SELECT e.id, w.id FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS e (id, site_id, type)
               JOIN webhooks w ON w.site_id = e.site_id AND e.type = ANY (w.events)
               -- A webhook being removed is waited for, then left out (not a foreign key error).
               FOR KEY SHARE OF w
               ON CONFLICT DO NOTHING
               RETURNING 1)
           SELECT count(*) FROM added""",
        [event.id for event in events],
        [event.site_id for event in events],
        [event.type.value for event in events],
    )
    return int(added)


async def claim(
    conn: asyncpg.Connection, sending: Mapping[int, int], per_webhook: int, most: int, lease: timedelta
) -> list[DueDelivery]:
    """Up to ``most`` due deliveries, leased to the caller, and for each webhook no more than
    ``per_webhook`` less what the caller is ``sending`` to it already (by webhook id): a slow
    receiver never takes more of the caller's slots. Rows another sender is claiming are
    skipped; once claimed, their due time is the lease's end, so no other sender takes them
    before it runs out. The attempt is counted as it is claimed, and the outcome of the one
    before it is left to its webhook's last delivery: this one's is not known yet."""
    rows = await conn.fetch(
        f"""WITH sending AS (
                SELECT * FROM unnest($1::bigint[], $2::integer[]) AS s (webhook_id, count)),
            due AS (
                SELECT d.event_id, d.webhook_id FROM webhooks w
                LEFT JOIN sending s ON s.webhook_id = w.id
                CROSS JOIN LATERAL (
                    SELECT d.event_id, d.webhook_id FROM webhook_deliveries d
                    WHERE d.webhook_id = w.id AND {_PENDING} AND d.due_at <= statement_timestamp()
                    ORDER BY d.due_at, d.event_id
                    LIMIT greatest($3 - coalesce(s.count, 0), 0)
                    FOR UPDATE OF d SKIP LOCKED) d
                LIMIT $4),
            taken AS (
                UPDATE webhook_deliveries d
                SET due_at = statement_timestamp() + $5, attempts = d.attempts + 1, last_status = NULL, last_error = NULL
                FROM due WHERE d.event_id = due.event_id AND d.webhook_id = due.webhook_id
                RETURNING d.event_id, d.webhook_id, d.attempts)
            SELECT t.webhook_id, t.attempts, w.url, w.secret,
                   e.id AS event_id, e.type AS event_type, e.site_id AS event_site_id, s.slug AS event_site,
                   a.key AS event_article, e.occurred_at AS event_occurred_at, e.data::text AS event_data
            FROM taken t JOIN webhooks w ON w.id = t.webhook_id JOIN events e ON e.id = t.event_id
            LEFT JOIN sites s ON s.id = e.site_id LEFT JOIN articles a ON a.id = e.article_id
            ORDER BY e.id""",
        list(sending),
        list(sending.values()),
        per_webhook,
        most,
        lease,
    )
    return [
        DueDelivery(row["webhook_id"], row["url"], row["secret"], row["attempts"], event_from(row, "event_"))
        for row in rows
    ]


async def record(
    conn: asyncpg.Connection,
    webhook_id: int,
    event_id: int,
    status: int | None,
    error: str | None,
    retry_in: timedelta | None,
) -> None:
    """An attempt's outcome, on the delivery and as its webhook's last: delivered when there is
    no ``error``; else due again in ``retry_in``, or dead without one. The webhook's row is locked
    before the delivery's, in the order its removal locks them (the removal's cascade takes the
    deliveries after the webhook): the two never wait for each other."""
    await conn.execute(
        """WITH locked AS (SELECT id FROM webhooks WHERE id = $1 FOR NO KEY UPDATE),
           d AS (
               UPDATE webhook_deliveries
               SET last_status = $3, last_error = $4,
                   delivered_at = CASE WHEN $4::text IS NULL THEN statement_timestamp() END,
                   dead_at = CASE WHEN $4::text IS NOT NULL AND $5::interval IS NULL THEN statement_timestamp() END,
                   due_at = coalesce(statement_timestamp() + $5::interval, due_at)
               WHERE webhook_id = (SELECT id FROM locked) AND event_id = $2
               RETURNING webhook_id, attempts)
           UPDATE webhooks w
           SET last_delivery_at = statement_timestamp(), last_status = $3, last_error = $4, last_attempt = d.attempts
           FROM d WHERE w.id = d.webhook_id""",
        webhook_id,
        event_id,
        status,
        error[:1000] if error is not None else None,
        retry_in,
    )


async def prune(conn: asyncpg.Connection, older_than: timedelta, most: int) -> int:
    """Delete up to ``most`` deliveries delivered or dead for longer than ``older_than``."""
    deleted = await conn.fetchval(
        """WITH gone AS (
               DELETE FROM webhook_deliveries WHERE (event_id, webhook_id) IN (
                   SELECT event_id, webhook_id FROM webhook_deliveries
                   WHERE (delivered_at IS NOT NULL OR dead_at IS NOT NULL)
                     AND coalesce(delivered_at, dead_at) < now() - $1::interval
                   LIMIT $2)
               RETURNING 1)
           SELECT count(*) FROM gone""",
        older_than,
        most,
    )
    return int(deleted)
