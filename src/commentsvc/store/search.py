"""SQL for searching a site's comments: full-text (comments.search_vector, sql/0022) and filters,
newest first, a page at a time."""

from __future__ import annotations

import asyncpg

from commentsvc.model.search import CommentQuery, FoundComment
from commentsvc.store.comments import _JOINS, _columns, comment_from

# Each filter's condition, its value the next parameter ({}): the only text put into the query.
# A query names only the filters it uses, so each combination gets a plan of its own (a filter
# written as "$n IS NULL OR ..." would share one plan between them all).
_FILTERS = {
    "status": "c.status = {}",
    "author_id": "c.author_id = {}",
    "author_username": "c.author_id = (SELECT u.id FROM users u WHERE lower(u.username) = lower({}))",
    "article_key": "c.article_id = (SELECT a.id FROM articles a WHERE a.site_id = $1 AND a.key = {})",
    "since": "c.created_at >= {}",
    "until": "c.created_at < {}",
}


async def find(
    conn: asyncpg.Connection, site_id: int, language: str, viewer_id: int, query: CommentQuery
) -> list[FoundComment]:
    """Up to ``query.limit + 1`` comments of the site (any status), newest first, as a moderator
    (``viewer_id``) sees them; the one more says whether there is another page."""
    args: list[object] = [site_id, viewer_id]
    conditions = ["c.site_id = $1"]
    if query.words is not None:
        args += (language, query.words)
        conditions.append("c.search_vector @@ websearch_to_tsquery(comment_search_config($3), $4)")
    for name, condition in _FILTERS.items():
        value = getattr(query, name)
        if value is not None:
            args.append(value)
            conditions.append(condition.format(f"${len(args)}"))
    if query.before is not None:
        args += query.before
        conditions.append(f"(c.created_at, c.id) < (${len(args) - 1}::timestamptz, ${len(args)}::bigint)")
    args.append(query.limit)
    async with conn.transaction():
        # Planned for its own values every time: how many comments hold the words, or are in the
        # status, decides between walking the site's comments newest first and looking them up
        # (a plan made once for any value, as a prepared statement gets after a few calls, was
        # seconds where this is milliseconds).
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(
            f"""SELECT {_columns("true")}, a.key AS article_key, a.title AS article_title,
                       a.url AS article_url, a.locked AS article_locked
                FROM comments c JOIN articles a ON a.id = c.article_id {_JOINS}
                WHERE {" AND ".join(conditions)}
                ORDER BY c.created_at DESC, c.id DESC LIMIT ${len(args)} + 1""",
            *args,
        )
    return [
        FoundComment(
            comment_from(row),
            row["article_key"],
            row["article_title"],
            row["article_url"],
            row["article_locked"],
        )
        for row in rows
    ]
