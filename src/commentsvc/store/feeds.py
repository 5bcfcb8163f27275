"""SQL for feeds: a site's or an article's latest published comments, newest first."""

from __future__ import annotations

import asyncpg

from commentsvc.model.feeds import FeedEntry

_LATEST = """SELECT c.id, c.parent_id, coalesce(nullif(u.display_name, ''), u.username) AS author_name,
        c.body_html, c.created_at, c.edited_at,
        a.key AS article_key, a.title AS article_title, a.url AS article_url
    FROM comments c JOIN articles a ON a.id = c.article_id LEFT JOIN users u ON u.id = c.author_id
    WHERE {where} AND c.status = 'approved'
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT $2"""
_OF_SITE = _LATEST.format(where="c.site_id = $1")
_OF_ARTICLE = _LATEST.format(where="c.article_id = (SELECT id FROM articles WHERE site_id = $1 AND key = $3)")


def _entry(row: asyncpg.Record) -> FeedEntry:
    return FeedEntry(*(row[field] for field in FeedEntry.__struct_fields__))


async def latest_of_site(conn: asyncpg.Connection, site_id: int, limit: int) -> list[FeedEntry]:
    return [_entry(row) for row in await conn.fetch(_OF_SITE, site_id, limit)]


async def latest_of_article(conn: asyncpg.Connection, site_id: int, key: str, limit: int) -> list[FeedEntry]:
    """Empty for an article nobody has commented on (or a key no page has)."""
    return [_entry(row) for row in await conn.fetch(_OF_ARTICLE, site_id, limit, key)]
