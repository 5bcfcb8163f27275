"""What live update streams read from PostgreSQL: the article they follow, and the outbox's events
of that article they missed (sql/0030 indexes them by article)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from commentsvc.model.events import Event, EventType
from commentsvc.model.live import StreamStart
from commentsvc.store.events import event_from


async def stream_start(conn: asyncpg.Connection, slug: str, key: str) -> StreamStart | None:
    """The article (None when the site or the article is unknown), and the newest event id."""
    row = await conn.fetchrow(
        """SELECT s.id AS site_id, a.id AS article_id, (SELECT coalesce(max(id), 0) FROM events) AS last_event_id
           FROM sites s JOIN articles a ON a.site_id = s.id WHERE s.slug = $1 AND a.key = $2""",
        slug,
        key,
    )
    return None if row is None else StreamStart(row["site_id"], row["article_id"], row["last_event_id"])


async def missed(
    conn: asyncpg.Connection,
    article_id: int,
    after: int,
    window: timedelta,
    types: Sequence[EventType],
    public: str,
) -> list[Event]:
    """The article's events of these types after event ``after``, written within ``window``, whose
    comment was in the ``public`` status before or after, in the order they were written."""
    rows = await conn.fetch(
        """SELECT e.id, e.type, e.site_id, s.slug AS site, a.key AS article, e.occurred_at, e.data::text AS data
           FROM events e JOIN sites s ON s.id = e.site_id JOIN articles a ON a.id = e.article_id
           WHERE e.article_id = $1 AND e.id > $2 AND e.occurred_at > now() - $3::interval
             AND e.type = ANY ($4::text[])
             AND $5 IN (e.data->>'status', e.data->>'previous_status')
           ORDER BY e.id""",
        article_id,
        after,
        window,
        [t.value for t in types],
        public,
    )
    return [event_from(row) for row in rows]


async def public_count(conn: asyncpg.Connection, article_id: int) -> int:
    return await conn.fetchval("SELECT comment_count FROM articles WHERE id = $1", article_id) or 0
