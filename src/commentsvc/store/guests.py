"""SQL for guests (sql/0021): imported authors without an account, claimed by the reader who
verifies the address the old system knew them by."""

from __future__ import annotations

import asyncpg


async def claim(conn: asyncpg.Connection, user_id: int, email: str) -> list[tuple[int, int, int]]:
    """Make every unclaimed guest with this address (on any site) the account's, while the
    account's verified address is still ``email``: their comments, votes and standing move to it.
    Returns, per article whose comments moved, its site, its id and how many moved."""
    guest_ids: list[int] = [
        row["user_id"]
        for row in await conn.fetch(
            """UPDATE guests g SET claimed_by = u.id, claimed_at = now()
               FROM users u
               WHERE u.id = $1 AND u.email_verified AND lower(u.email) = lower($2)
                 AND lower(g.email) = lower($2) AND g.claimed_by IS NULL
               RETURNING g.user_id""",
            user_id,
            email,
        )
    ]
    if not guest_ids:
        return []
    moved = await conn.fetch(
        """WITH moved AS (
               UPDATE comments SET author_id = $1 WHERE author_id = ANY($2::bigint[]) RETURNING article_id)
           SELECT a.site_id, a.id AS article_id, count(*)::int AS n
           FROM moved JOIN articles a ON a.id = moved.article_id
           GROUP BY a.site_id, a.id ORDER BY a.id""",
        user_id,
        guest_ids,
    )
    # One vote per reader and comment: where the reader already voted, the guest's vote goes.
    await conn.execute(
        """DELETE FROM votes v USING votes mine
           WHERE v.user_id = ANY($2::bigint[]) AND mine.user_id = $1 AND mine.comment_id = v.comment_id""",
        user_id,
        guest_ids,
    )
    await conn.execute("UPDATE votes SET user_id = $1 WHERE user_id = ANY($2::bigint[])", user_id, guest_ids)
    # The site's judgement of those comments is the reader's record there now (sql/0004 keeps it).
    await conn.execute(
        """WITH theirs AS (
               DELETE FROM author_standing WHERE user_id = ANY($2::bigint[])
               RETURNING site_id, approved, rejected)
           INSERT INTO author_standing AS s (site_id, user_id, approved, rejected)
           SELECT site_id, $1, sum(approved), sum(rejected) FROM theirs GROUP BY site_id
           ON CONFLICT (site_id, user_id) DO UPDATE
               SET approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected""",
        user_id,
        guest_ids,
    )
    return [(row["site_id"], row["article_id"], row["n"]) for row in moved]
