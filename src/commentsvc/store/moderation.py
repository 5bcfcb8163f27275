"""SQL for moderation: items awaiting a decision (the queue's outbox), an
author's standing on a site, bans and the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from commentsvc.model.moderation import (
    Ban,
    BanEntry,
    NewAuditEntry,
    OpenItem,
    PastComment,
    Report,
    Standing,
    StoredAuditRecord,
    StoredAuthor,
    StoredItem,
)
from commentsvc.store.comments import findings_from


async def open_item(conn: asyncpg.Connection, site_id: int, comment_id: int, kind: str) -> int | None:
    """A new open item for the comment at its current revision; None when one is already open
    (a report joins it)."""
    return await conn.fetchval(
        """INSERT INTO moderation_items (site_id, comment_id, kind, opened_revision)
           SELECT $1, id, $3, revision FROM comments WHERE id = $2
           ON CONFLICT (comment_id) WHERE decision IS NULL DO NOTHING RETURNING id""",
        site_id,
        comment_id,
        kind,
    )


async def hold(conn: asyncpg.Connection, site_id: int, comment_id: int) -> None:
    """The comment (edited into one the policy holds) awaits a decision: a new held item, or the
    open one (reported) becomes held, keeping its reports and the revision it was opened at."""
    await conn.execute(
        """INSERT INTO moderation_items (site_id, comment_id, kind, opened_revision)
           SELECT $1, id, 'held', revision FROM comments WHERE id = $2
           ON CONFLICT (comment_id) WHERE decision IS NULL DO UPDATE SET kind = 'held'""",
        site_id,
        comment_id,
    )


async def distinct_reporters(conn: asyncpg.Connection, comment_id: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM reports WHERE comment_id = $1", comment_id)


async def lock_unqueued(conn: asyncpg.Connection, site_id: int, limit: int) -> list[int]:
    """Open items of the site not yet in the stream, locked for this transaction. A second
    moderator draining at the same time waits, then finds them queued: no item is queued
    twice, and nobody is told the queue is empty while it is being filled."""
    rows = await conn.fetch(
        """SELECT id FROM moderation_items
           WHERE site_id = $1 AND decision IS NULL AND queued_at IS NULL
           ORDER BY id LIMIT $2 FOR UPDATE""",
        site_id,
        limit,
    )
    return [row["id"] for row in rows]


async def mark_queued(conn: asyncpg.Connection, queued: list[tuple[int, str]]) -> None:
    await conn.executemany(
        "UPDATE moderation_items SET queued_at = now(), stream_id = $2 WHERE id = $1", queued
    )


async def forget_queue(conn: asyncpg.Connection) -> int:
    """Redis lost the queue: every open item is to be queued again."""
    status = await conn.execute(
        "UPDATE moderation_items SET queued_at = NULL, stream_id = NULL WHERE decision IS NULL AND queued_at IS NOT NULL"
    )
    return int(status.split()[-1])


# The author's history is their standing, what the policy judges them by: a rejection stays in
# it when its comment is deleted afterwards (sql/0009).
_ITEM = """SELECT i.id, i.site_id, i.comment_id, i.kind, i.created_at, i.stream_id, i.decision, i.decided_by,
        i.decided_at, i.reason, i.ban_days, i.opened_revision, c.revision, c.held_because,
        c.held_findings::text AS held_findings,
        a.key AS article_key, a.title AS article_title, a.url AS article_url, a.locked AS article_locked,
        u.created_at AS author_created_at,
        coalesce(st.approved, 0) AS author_approved, coalesce(st.rejected, 0) AS author_rejected,
        p.body_html AS parent_body_html, pu.username AS parent_author,
        coalesce((SELECT json_agg(json_build_object('user_id', r.user_id, 'username', ru.username,
                                                    'reason', r.reason, 'note', r.note,
                                                    'created_at', r.created_at) ORDER BY r.created_at)
                  FROM reports r LEFT JOIN users ru ON ru.id = r.user_id WHERE r.comment_id = c.id), '[]')
            AS reports
    FROM moderation_items i
    JOIN comments c ON c.id = i.comment_id
    JOIN articles a ON a.id = c.article_id
    LEFT JOIN users u ON u.id = c.author_id
    LEFT JOIN author_standing st ON st.site_id = i.site_id AND st.user_id = c.author_id
    LEFT JOIN comments p ON p.id = c.parent_id
    LEFT JOIN users pu ON pu.id = p.author_id"""

_REPORTS = msgspec.json.Decoder(list[Report])
_CHANGE = msgspec.json.Decoder(dict[str, Any])


def _item(row: asyncpg.Record) -> StoredItem:
    fields = {key: row[key] for key in row.keys() if key not in ("reports", "held_findings")}
    return StoredItem(
        **fields, held_findings=findings_from(row["held_findings"]), reports=_REPORTS.decode(row["reports"])
    )


async def items(conn: asyncpg.Connection, item_ids: list[int]) -> list[StoredItem]:
    rows = await conn.fetch(_ITEM + " WHERE i.id = ANY($1::bigint[]) ORDER BY i.id", item_ids)
    return [_item(row) for row in rows]


async def item(conn: asyncpg.Connection, item_id: int) -> StoredItem | None:
    row = await conn.fetchrow(_ITEM + " WHERE i.id = $1", item_id)
    return _item(row) if row else None


async def decide(
    conn: asyncpg.Connection,
    item_id: int,
    action: str,
    moderator_id: int,
    reason: str | None,
    ban_days: int | None,
) -> bool:
    """Record the decision, once: False when the item was already decided."""
    return bool(await decide_all(conn, [item_id], action, moderator_id, reason, ban_days))


async def decide_all(
    conn: asyncpg.Connection,
    item_ids: Sequence[int],
    action: str,
    moderator_id: int,
    reason: str | None,
    ban_days: int | None = None,
) -> list[int]:
    """Record one decision on each item, once: the ids of the items it decided (not those decided
    already)."""
    rows = await conn.fetch(
        """UPDATE moderation_items SET decision = $2, decided_by = $3, decided_at = now(), reason = $4, ban_days = $5
           WHERE id = ANY($1::bigint[]) AND decision IS NULL RETURNING id""",
        list(item_ids),
        action,
        moderator_id,
        reason,
        ban_days,
    )
    return [row["id"] for row in rows]


async def open_items(conn: asyncpg.Connection, comment_ids: Sequence[int]) -> dict[int, OpenItem]:
    """The items awaiting a decision of these comments that a bulk decision may decide, by comment
    (one at most each): held or reported comments; any other kind (an appeal, say) is decided on
    its own, from the queue."""
    rows = await conn.fetch(
        """SELECT i.id, i.comment_id, i.opened_revision, i.kind, c.held_because,
                  EXISTS (SELECT FROM reports r WHERE r.comment_id = i.comment_id) AS reported
           FROM moderation_items i JOIN comments c ON c.id = i.comment_id
           WHERE i.comment_id = ANY($1::bigint[]) AND i.decision IS NULL AND i.kind IN ('held', 'reported')""",
        list(comment_ids),
    )
    return {row["comment_id"]: OpenItem(**dict(row)) for row in rows}


async def close_open_items(
    conn: asyncpg.Connection, comment_id: int, moderator_id: int, action: str
) -> list[str]:
    """Close what was open about a comment a moderator dealt with another way (deleted it);
    returns the closed items' stream ids."""
    rows = await conn.fetch(
        """UPDATE moderation_items SET decision = $3, decided_by = $2, decided_at = now()
           WHERE comment_id = $1 AND decision IS NULL RETURNING stream_id""",
        comment_id,
        moderator_id,
        action,
    )
    return [row["stream_id"] for row in rows if row["stream_id"]]


async def ban(
    conn: asyncpg.Connection, site_id: int, user_id: int, until: datetime | None, reason: str, banned_by: int
) -> None:
    await conn.execute(
        """INSERT INTO bans (site_id, user_id, until, reason, banned_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (site_id, user_id) DO UPDATE
           SET until = EXCLUDED.until, reason = EXCLUDED.reason, banned_by = EXCLUDED.banned_by, created_at = now()""",
        site_id,
        user_id,
        until,
        reason,
        banned_by,
    )


async def unban(conn: asyncpg.Connection, site_id: int, user_id: int) -> bool:
    status = await conn.execute("DELETE FROM bans WHERE site_id = $1 AND user_id = $2", site_id, user_id)
    return status.endswith(" 1")


async def active_ban(conn: asyncpg.Connection, site_id: int, user_id: int) -> Ban | None:
    row = await conn.fetchrow(
        "SELECT until, reason FROM bans WHERE site_id = $1 AND user_id = $2 AND (until IS NULL OR until > now())",
        site_id,
        user_id,
    )
    return Ban(row["until"], row["reason"]) if row else None


async def record(
    conn: asyncpg.Connection,
    *,
    site_id: int,
    actor_id: int,
    action: str,
    comment_id: int | None = None,
    target_user_id: int | None = None,
    article_key: str | None = None,
    reason: str | None = None,
    change: dict[str, object] | None = None,
    rule: str | None = None,
) -> None:
    """``change``: what a site owner's change changed (a setting's old and new value, an origin…).
    ``rule``: of a removal, and of its appeal and the appeal's outcome, the rule that brought the
    comment before a moderator (sql/0023)."""
    await record_all(
        conn,
        [NewAuditEntry(site_id=site_id, actor_id=actor_id, action=action, comment_id=comment_id,
                       target_user_id=target_user_id, article_key=article_key, reason=reason,
                       change=change, rule=rule)],
    )  # fmt: skip


async def record_all(conn: asyncpg.Connection, entries: Sequence[NewAuditEntry]) -> None:
    """Write the entries, in order, in one statement."""
    await conn.execute(
        """INSERT INTO audit_log (site_id, actor_id, action, comment_id, target_user_id, article_key, reason, change, rule)
           SELECT site_id, actor_id, action, comment_id, target_user_id, article_key, reason, change::jsonb, rule
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
                       $8::text[], $9::text[])
                WITH ORDINALITY AS e (site_id, actor_id, action, comment_id, target_user_id, article_key, reason,
                                      change, rule, n)
           ORDER BY n""",
        # The struct's fields are the columns, in this order (a change as its JSON text).
        *([_column(getattr(entry, field)) for entry in entries] for field in NewAuditEntry.__struct_fields__),
    )


def _column(value: object) -> object:
    return msgspec.json.encode(value).decode() if isinstance(value, dict) else value


async def author(conn: asyncpg.Connection, site_id: int, user_id: int) -> StoredAuthor | None:
    """The account, its standing on the site and the ban in force there; None: no such account."""
    row = await conn.fetchrow(
        """SELECT u.id, u.username, u.display_name, u.created_at,
                  coalesce(st.approved, 0) AS approved, coalesce(st.rejected, 0) AS rejected,
                  b.until AS ban_until, b.reason AS ban_reason, bu.username AS banned_by, b.created_at AS banned_at,
                  b.user_id IS NOT NULL AS banned
           FROM users u
           LEFT JOIN author_standing st ON st.site_id = $1 AND st.user_id = u.id
           LEFT JOIN bans b ON b.site_id = $1 AND b.user_id = u.id AND (b.until IS NULL OR b.until > now())
           LEFT JOIN users bu ON bu.id = b.banned_by
           WHERE u.id = $2""",
        site_id,
        user_id,
    )
    return StoredAuthor(**dict(row)) if row else None


async def ban_history(conn: asyncpg.Connection, site_id: int, user_id: int, limit: int) -> list[BanEntry]:
    """The author's bans and unbans on the site, newest first."""
    rows = await conn.fetch(
        """SELECT l.action, l.created_at AS at, u.username AS by, l.reason
           FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id
           WHERE l.site_id = $1 AND l.target_user_id = $2 AND l.action IN ('ban', 'unban')
           ORDER BY l.id DESC LIMIT $3""",
        site_id,
        user_id,
        limit,
    )
    return [BanEntry(**dict(row)) for row in rows]


async def audit_page(
    conn: asyncpg.Connection, site_id: int, before_id: int | None, limit: int
) -> list[StoredAuditRecord]:
    """Newest first; ``limit + 1`` entries so the caller knows whether there is more."""
    # An entry names its article's key, or (a ban with a decision) only its comment: the article is
    # joined by the one or the other, never both.
    rows = await conn.fetch(
        """SELECT l.id, l.actor_id, u.username AS actor, l.action, l.comment_id, l.target_user_id,
                  t.username AS target_username,
                  EXISTS (SELECT 1 FROM bans b WHERE b.site_id = l.site_id AND b.user_id = l.target_user_id
                          AND (b.until IS NULL OR b.until > now())) AS target_banned,
                  l.article_key, l.reason, l.change::text AS change, l.created_at,
                  coalesce(ka.key, ca.key) AS about_key, coalesce(ka.title, ca.title) AS about_title,
                  coalesce(ka.url, ca.url) AS about_url, coalesce(ka.locked, ca.locked) AS about_locked
           FROM audit_log l
           LEFT JOIN users u ON u.id = l.actor_id
           LEFT JOIN users t ON t.id = l.target_user_id
           LEFT JOIN articles ka ON ka.site_id = l.site_id AND ka.key = l.article_key
           LEFT JOIN comments c ON c.id = l.comment_id AND l.article_key IS NULL
           LEFT JOIN articles ca ON ca.id = c.article_id
           WHERE l.site_id = $1 AND ($2::bigint IS NULL OR l.id < $2)
           ORDER BY l.id DESC LIMIT $3 + 1""",
        site_id,
        before_id,
        limit,
    )
    return [
        StoredAuditRecord(**{**dict(row), "change": row["change"] and _CHANGE.decode(row["change"])})
        for row in rows
    ]


async def closed_entries(conn: asyncpg.Connection, comment_ids: list[int]) -> list[tuple[int, str]]:
    """(site id, stream entry) of the decided items of these comments that were queued."""
    rows = await conn.fetch(
        """SELECT site_id, stream_id FROM moderation_items
           WHERE comment_id = ANY ($1::bigint[]) AND decision IS NOT NULL AND stream_id IS NOT NULL""",
        comment_ids,
    )
    return [(row["site_id"], row["stream_id"]) for row in rows]


# Each comment of the site since $2 with its author's record before it: their earlier comments
# on the site by their statuses now, those within the burst's window ($3) before it, and whether
# one of them had the same text (as posting reads it, deleted ones aside).
_PAST = """WITH authored AS (
        SELECT c.id, c.author_id, c.created_at, c.status, c.body_hash, c.body_html, c.held_because,
               c.held_findings::text AS held_findings,
               count(*) FILTER (WHERE c.status = 'approved') OVER earlier AS approved,
               count(*) FILTER (WHERE c.status IN ('rejected', 'spam')) OVER earlier AS rejected,
               count(*) OVER burst - 1 AS recent
        FROM comments c
        WHERE c.site_id = $1 AND c.author_id IS NOT NULL
        WINDOW earlier AS (PARTITION BY c.author_id ORDER BY c.created_at, c.id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
               burst AS (PARTITION BY c.author_id ORDER BY c.created_at
                         RANGE BETWEEN $3::interval PRECEDING AND CURRENT ROW))
    SELECT p.body_html, p.created_at, p.held_because, p.held_findings, p.approved, p.rejected, p.recent,
           u.created_at AS account_created_at, u.email_verified,
           p.body_hash IS NOT NULL AND EXISTS (
               SELECT FROM comments o
               WHERE o.author_id = p.author_id AND o.body_hash = p.body_hash AND o.site_id = $1
                 AND o.status <> 'deleted' AND (o.created_at, o.id) < (p.created_at, p.id)) AS same_text
    FROM authored p JOIN users u ON u.id = p.author_id
    WHERE p.created_at >= $2"""


async def past_comments(
    conn: asyncpg.Connection, site_id: int, since: datetime, burst: timedelta
) -> AsyncIterator[PastComment]:
    """The site's comments written since ``since`` by authors who still have an account, each with
    its author's record then, a batch at a time (a cursor: inside a transaction)."""
    async for row in conn.cursor(_PAST, site_id, since, burst, prefetch=500):
        standing = Standing(
            account_created_at=row["account_created_at"],
            approved=row["approved"],
            rejected=row["rejected"],
            recent_comments=row["recent"],
            same_text_before=row["same_text"],
            ban=None,
            email_verified=row["email_verified"],
        )
        yield PastComment(
            row["body_html"],
            row["created_at"],
            standing,
            row["held_because"],
            findings_from(row["held_findings"]),
        )
