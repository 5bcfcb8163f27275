"""SQL for articles: created on first comment, locked or not, and their public count."""

from __future__ import annotations

import asyncpg

from commentsvc.model.articles import Article, ThreadContext
from commentsvc.model.moderation import Ban

_ARTICLE = "a.id, a.key, a.title, a.url, a.locked, a.comment_count"


def _article(row: asyncpg.Record) -> Article:
    return Article(row["id"], row["key"], row["title"], row["url"], row["locked"], row["comment_count"])


# A thread's context: the site, the article if anybody commented on it yet, and the viewer: whether
# they moderate the site, and their ban on it. Of each row of ``asked``, a relation ``q`` of the
# columns slug, key and viewer (a user id or NULL); ``more``: more columns.
def context_sql(asked: str, more: str = "") -> str:
    return f"""SELECT s.id AS site_id, s.edit_window_minutes, {_ARTICLE},
            EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = q.viewer
                    AND (r.role = 'admin' OR r.site_id = s.id)) AS viewer_moderates,
            b.user_id IS NOT NULL AS viewer_banned, b.until AS ban_until, b.reason AS ban_reason{more}
        FROM {asked} JOIN sites s ON s.slug = q.slug
        LEFT JOIN articles a ON a.site_id = s.id AND a.key = q.key
        LEFT JOIN bans b ON b.site_id = s.id AND b.user_id = q.viewer AND (b.until IS NULL OR b.until > now())"""


_THREAD_CONTEXT = context_sql("(SELECT $1::text AS slug, $2::text AS key, $3::bigint AS viewer) q")


def context_from(row: asyncpg.Record) -> ThreadContext:
    article = _article(row) if row["id"] is not None else None
    ban = Ban(row["ban_until"], row["ban_reason"]) if row["viewer_banned"] else None
    return ThreadContext(row["site_id"], article, row["viewer_moderates"], ban, row["edit_window_minutes"])


async def thread_context(
    conn: asyncpg.Connection, slug: str, key: str, viewer_id: int | None
) -> ThreadContext | None:
    """None when the site does not exist; ``article`` None when nobody has commented yet."""
    row = await conn.fetchrow(_THREAD_CONTEXT, slug, key, viewer_id)
    return context_from(row) if row is not None else None


async def ensure_article(
    conn: asyncpg.Connection, site_id: int, key: str, title: str | None, url: str | None
) -> Article:
    """The article, created with this title and URL if it is new (looked up first: it usually exists)."""
    existing = f"SELECT {_ARTICLE} FROM articles a WHERE site_id = $1 AND key = $2"
    row = await conn.fetchrow(existing, site_id, key)
    if row is None:
        row = await conn.fetchrow(
            f"""WITH created AS (
                    INSERT INTO articles (site_id, key, title, url) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (site_id, key) DO NOTHING
                    RETURNING *)
                SELECT {_ARTICLE} FROM created a""",
            site_id,
            key,
            title,
            url,
        )
    if row is None:
        # Created meanwhile by a concurrent first comment: visible to a new statement only.
        row = await conn.fetchrow(existing, site_id, key)
    return _article(row)


async def describe(
    conn: asyncpg.Connection, site_id: int, key: str, title: str | None, url: str | None
) -> Article:
    """Set the article's title and URL, creating the article if nobody has commented on it yet."""
    row = await conn.fetchrow(
        f"""INSERT INTO articles AS a (site_id, key, title, url) VALUES ($1, $2, $3, $4)
            ON CONFLICT (site_id, key) DO UPDATE SET title = excluded.title, url = excluded.url
            RETURNING {_ARTICLE}""",
        site_id,
        key,
        title,
        url,
    )
    return _article(row)


async def set_locked(conn: asyncpg.Connection, article_id: int, locked: bool) -> None:
    await conn.execute("UPDATE articles SET locked = $2 WHERE id = $1", article_id, locked)


async def counts(conn: asyncpg.Connection, site_id: int, keys: list[str]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT key, comment_count FROM articles WHERE site_id = $1 AND key = ANY($2::text[])", site_id, keys
    )
    return {row["key"]: row["comment_count"] for row in rows}


async def recount(conn: asyncpg.Connection, fix: bool) -> list[tuple[int, str, int, int]]:
    """Articles whose stored count differs from COUNT(*) of approved comments:
    (id, key, stored, actual). With ``fix``, the stored counts are corrected."""
    rows = await conn.fetch(
        """SELECT a.id, a.key, a.comment_count AS stored,
                  (SELECT count(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'approved') AS actual
           FROM articles a ORDER BY a.id"""
    )
    drifted = [
        (row["id"], row["key"], row["stored"], row["actual"])
        for row in rows
        if row["stored"] != row["actual"]
    ]
    if fix:
        for article_id, *_ in drifted:
            # Counted again under the row lock, so a status change racing with the fix is not lost.
            await conn.execute(
                """UPDATE articles a SET comment_count =
                       (SELECT count(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'approved')
                   WHERE a.id = $1""",
                article_id,
            )
    return drifted
