"""SQL for appeals against removals: the removal a comment's appeal contests, the appeal and its
queue item, what its outcome's letter says, and the figures of a site's transparency report."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from commentsvc.model.appeals import DecidedAppeal, MonthOfRule, Removal, StoredAppeal
from commentsvc.model.notifications import Recipient
from commentsvc.store.sso import mail_address

# What the audit log calls a removal, and what follows an appeal against one.
REMOVALS = ("reject", "spam")


async def last_removal(conn: asyncpg.Connection, comment_id: int) -> Removal | None:
    """The latest removal of the comment by a moderator, as the audit log recorded it."""
    row = await conn.fetchrow(
        """SELECT id, actor_id, action, reason, rule FROM audit_log
           WHERE comment_id = $1 AND action = ANY ($2::text[]) ORDER BY id DESC LIMIT 1""",
        comment_id,
        list(REMOVALS),
    )
    return Removal(**dict(row)) if row else None


async def exists(conn: asyncpg.Connection, comment_id: int) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT FROM appeals WHERE comment_id = $1)", comment_id)


async def insert(conn: asyncpg.Connection, comment_id: int, item_id: int, removal_id: int, text: str) -> None:
    await conn.execute(
        "INSERT INTO appeals (comment_id, item_id, removal_id, text) VALUES ($1, $2, $3, $4)",
        comment_id,
        item_id,
        removal_id,
        text,
    )


_APPEAL = """SELECT ap.item_id, ap.comment_id, ap.text, ap.created_at,
        l.id AS removal_id, l.actor_id, l.action, l.reason, l.rule, u.username AS removed_by
    FROM appeals ap JOIN audit_log l ON l.id = ap.removal_id LEFT JOIN users u ON u.id = l.actor_id"""


def _appeal(row: asyncpg.Record) -> StoredAppeal:
    removal = Removal(row["removal_id"], row["actor_id"], row["action"], row["reason"], row["rule"])
    return StoredAppeal(
        row["item_id"], row["comment_id"], row["text"], row["created_at"], removal, row["removed_by"]
    )


async def of_items(conn: asyncpg.Connection, item_ids: list[int]) -> dict[int, StoredAppeal]:
    """The appeals of these queue items, by item id (items of other kinds have none)."""
    rows = await conn.fetch(_APPEAL + " WHERE ap.item_id = ANY ($1::bigint[])", item_ids)
    return {row["item_id"]: _appeal(row) for row in rows}


async def decided(conn: asyncpg.Connection, comment_id: int) -> DecidedAppeal | None:
    """The comment's decided appeal as its letter tells it; None when there is nobody to tell (the
    account erased, or without an address) or nothing decided."""
    row = await conn.fetchrow(
        f"""SELECT u.id, {mail_address("u")} AS email, u.display_name, u.language, s.name AS site,
                   a.key AS article_key, a.title AS article_title, a.url AS article_url,
                   c.id AS comment_id, c.body, c.body_html, i.reason
            FROM appeals ap JOIN moderation_items i ON i.id = ap.item_id AND i.decision IS NOT NULL
            JOIN comments c ON c.id = ap.comment_id JOIN users u ON u.id = c.author_id
            JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
            WHERE ap.comment_id = $1""",
        comment_id,
    )
    if row is None or row["email"] is None:
        return None
    fields = dict(row)
    recipient = Recipient(*(fields.pop(name) for name in ("id", "email", "display_name", "language")))
    return DecidedAppeal(recipient=recipient, **fields)


async def by_month_and_rule(conn: asyncpg.Connection, site_id: int, since: datetime) -> list[MonthOfRule]:
    """From the audit log, since ``since``, month by month (UTC) and rule by rule: removals, appeals
    made, appeals that reinstated the comment and appeals that upheld its removal."""
    rows = await conn.fetch(
        """SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month, rule,
                  count(*) FILTER (WHERE action = ANY ($3::text[])) AS removals,
                  count(*) FILTER (WHERE action = 'appeal') AS appeals,
                  count(*) FILTER (WHERE action = 'reinstate') AS reversals,
                  count(*) FILTER (WHERE action = 'uphold') AS upheld
           FROM audit_log
           WHERE site_id = $1 AND created_at >= $2
             AND action = ANY ($3::text[] || ARRAY['appeal', 'reinstate', 'uphold'])
           GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST""",
        site_id,
        since,
        list(REMOVALS),
    )
    return [MonthOfRule(**dict(row)) for row in rows]
