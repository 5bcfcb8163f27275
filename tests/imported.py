"""What an import left in a site, read back from the database: each imported comment under its
id in the source, with its parent's, its article, its author and what the import kept."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import asyncpg


class Imported(NamedTuple):
    parent: str | None  # the parent's id in the source
    article: str  # the article's key
    status: str
    created_at: datetime
    depth: int
    body: str
    body_html: str
    author: str | None  # the display name of its author's account (a guest's: the source's name)
    guest_email: str | None  # the address the guest was imported with (None: no guest)
    claimed: bool  # the comment's author is an account that claimed the guest


async def imported(db: asyncpg.Connection, slug: str) -> dict[str, Imported]:
    rows = await db.fetch(
        """SELECT i.source_id, pi.source_id AS parent, a.key AS article, c.status, c.created_at, c.depth,
                  c.body, c.body_html, u.display_name AS author,
                  coalesce(g.email, claimed.email) AS guest_email, claimed.user_id IS NOT NULL AS claimed
           FROM imported_comments i
           JOIN sites s ON s.id = i.site_id
           JOIN comments c ON c.id = i.comment_id
           JOIN articles a ON a.id = c.article_id
           LEFT JOIN imported_comments pi ON pi.comment_id = c.parent_id
           LEFT JOIN users u ON u.id = c.author_id
           LEFT JOIN guests g ON g.user_id = c.author_id
           LEFT JOIN LATERAL (SELECT cg.user_id, cg.email FROM guests cg
                              WHERE cg.claimed_by = c.author_id AND cg.site_id = i.site_id LIMIT 1) claimed ON true
           WHERE s.slug = $1""",
        slug,
    )
    return {row["source_id"]: Imported(*list(row.values())[1:]) for row in rows}


async def site_counts(db: asyncpg.Connection, slug: str) -> tuple[int, int, int]:
    """The site's articles, comments and guests."""
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM articles a WHERE a.site_id = s.id) AS articles,
                  (SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id
                   WHERE a.site_id = s.id) AS comments,
                  (SELECT count(*) FROM guests g WHERE g.site_id = s.id) AS guests
           FROM sites s WHERE s.slug = $1""",
        slug,
    )
    return row["articles"], row["comments"], row["guests"]
