"""SQL for comments and what hangs off them: votes, reports, idempotency keys."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import msgspec

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


class CommentRow(msgspec.Struct, frozen=True):
    id: int
    article_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    status: str
    author_id: int | None
    author_username: str | None
    author_display_name: str | None
    # The Markdown source: only selected for its author and moderators.
    body: str | None
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    score: int
    my_vote: int
    # The moderator's statement of reasons: only for its author and moderators.
    moderation_reason: str | None


class CommentContext(msgspec.Struct, frozen=True):
    """A comment with what deciding about it needs: its site, article and the viewer's role."""

    comment: CommentRow
    site_id: int
    site_slug: str
    article_key: str
    article_locked: bool
    edit_window_minutes: int
    report_threshold: int
    viewer_moderates: bool


class Parent(msgspec.Struct, frozen=True):
    id: int
    article_id: int
    root_id: int | None
    depth: int
    status: str
    author_id: int | None


class AuthoredComment(msgspec.Struct, frozen=True):
    """A comment as its author's data export shows it."""

    id: int
    site: str
    article: str
    parent_id: int | None
    status: str
    body: str
    created_at: datetime
    edited_at: datetime | None


def _columns(viewer_moderates: str) -> str:
    """A comment's columns as ``viewer`` ($2, a user id or NULL) may see them;
    ``viewer_moderates`` is the SQL expression saying whether they moderate it."""
    return f"""c.id, c.article_id, c.parent_id, c.root_id, c.depth, c.status, c.author_id,
        u.username AS author_username, u.display_name AS author_display_name,
        CASE WHEN {viewer_moderates} OR c.author_id = $2 THEN c.body END AS body,
        c.body_html, c.created_at, c.edited_at, c.score, coalesce(v.value, 0)::int AS my_vote,
        CASE WHEN {viewer_moderates} OR c.author_id = $2 THEN c.moderation_reason END AS moderation_reason"""


_COLUMNS = _columns("$3")
_JOINS = """LEFT JOIN users u ON u.id = c.author_id
    LEFT JOIN votes v ON v.comment_id = c.id AND v.user_id = $2"""

# Per sort: the order of top-level comments, and the keyset condition after a
# cursor ($5 and on: the cursor's values). The only text put into the page query.
SORTS = {
    "oldest": ("c.created_at, c.id", "(c.created_at, c.id) > ($5::timestamptz, $6::bigint)"),
    "newest": ("c.created_at DESC, c.id DESC", "(c.created_at, c.id) < ($5::timestamptz, $6::bigint)"),
    "top": (
        "c.score DESC, c.created_at DESC, c.id DESC",
        "(c.score, c.created_at, c.id) < ($7::int, $5::timestamptz, $6::bigint)",
    ),
}

# A top-level comment is listed when the viewer may see it, or when it must
# stay as a placeholder because a reply under it is visible.
_LISTED = """(c.status = 'approved' OR $3 OR (c.status <> 'deleted' AND c.author_id = $2)
    OR EXISTS (SELECT 1 FROM comments r WHERE r.root_id = c.id
               AND (r.status = 'approved' OR (r.status <> 'deleted' AND r.author_id = $2))))"""


def _comment(row: asyncpg.Record) -> CommentRow:
    return CommentRow(*(row[field] for field in CommentRow.__struct_fields__))


async def page(
    conn: asyncpg.Connection,
    article_id: int,
    viewer_id: int | None,
    viewer_moderates: bool,
    sort: str,
    after: tuple[datetime, int, int] | None,
    limit: int,
) -> list[CommentRow]:
    """Up to ``limit + 1`` top-level comments after the cursor, in order, then
    every reply of the first ``limit`` of them: one query whatever the thread size."""
    order, keyset = SORTS[sort]
    cursor_values: tuple[object, ...] = ()
    if after is not None:
        created_at, comment_id, score = after
        cursor_values = (created_at, comment_id, score) if sort == "top" else (created_at, comment_id)
    rows = await conn.fetch(
        f"""WITH top AS MATERIALIZED (
                SELECT c.id, row_number() OVER (ORDER BY {order}) AS position
                FROM comments c
                WHERE c.article_id = $1 AND c.parent_id IS NULL AND {_LISTED}
                  {"AND " + keyset if after is not None else ""}
                ORDER BY {order} LIMIT $4 + 1)
            SELECT {_COLUMNS}, t.position FROM top t JOIN comments c ON c.id = t.id {_JOINS}
            UNION ALL
            SELECT {_COLUMNS}, NULL FROM comments c {_JOINS}
            WHERE c.root_id IN (SELECT id FROM top WHERE position <= $4)
            ORDER BY position NULLS LAST, created_at, id""",
        article_id,
        viewer_id,
        viewer_moderates,
        limit,
        *cursor_values,
    )
    return [_comment(row) for row in rows]


async def context(conn: asyncpg.Connection, comment_id: int, viewer_id: int | None) -> CommentContext | None:
    row = await conn.fetchrow(
        f"""WITH t AS (
                SELECT c.id, a.site_id, s.slug AS site_slug, a.key AS article_key, a.locked AS article_locked, s.edit_window_minutes, s.report_threshold,
                       EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = $2
                               AND (r.role = 'admin' OR r.site_id = a.site_id)) AS viewer_moderates
                FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
                WHERE c.id = $1)
            SELECT t.site_id, t.site_slug, t.article_key, t.article_locked, t.edit_window_minutes, t.report_threshold, t.viewer_moderates,
                   {_columns("t.viewer_moderates")}
            FROM t JOIN comments c ON c.id = t.id {_JOINS}""",
        comment_id,
        viewer_id,
    )
    if row is None:
        return None
    return CommentContext(
        comment=_comment(row),
        site_id=row["site_id"],
        site_slug=row["site_slug"],
        article_key=row["article_key"],
        article_locked=row["article_locked"],
        edit_window_minutes=row["edit_window_minutes"],
        report_threshold=row["report_threshold"],
        viewer_moderates=row["viewer_moderates"],
    )


async def get_one(
    conn: asyncpg.Connection, comment_id: int, viewer_id: int | None, viewer_moderates: bool
) -> CommentRow:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM comments c {_JOINS} WHERE c.id = $1", comment_id, viewer_id, viewer_moderates
    )
    return _comment(row)


async def get_parent(conn: asyncpg.Connection, comment_id: int) -> Parent | None:
    row = await conn.fetchrow(
        "SELECT id, article_id, root_id, depth, status, author_id FROM comments WHERE id = $1", comment_id
    )
    return Parent(**dict(row)) if row else None


async def ancestor_at_depth(conn: asyncpg.Connection, comment_id: int, depth: int) -> Parent:
    """The ancestor of a comment (or the comment itself) at ``depth``."""
    row = await conn.fetchrow(
        """WITH RECURSIVE chain AS (
               SELECT id, article_id, parent_id, root_id, depth, status, author_id FROM comments WHERE id = $1
               UNION ALL
               SELECT p.id, p.article_id, p.parent_id, p.root_id, p.depth, p.status, p.author_id
               FROM comments p JOIN chain ON p.id = chain.parent_id WHERE chain.depth > $2)
           SELECT id, article_id, root_id, depth, status, author_id FROM chain WHERE depth = $2""",
        comment_id,
        depth,
    )
    return Parent(**dict(row))


async def insert(
    conn: asyncpg.Connection,
    *,
    article_id: int,
    parent: Parent | None,
    status: str,
    author_id: int,
    body: str,
    body_html: str,
    client_hash: bytes,
    body_hash: bytes,
    held_because: str | None,
) -> CommentRow:
    """The new comment, as its author sees it."""
    row = await conn.fetchrow(
        """WITH c AS (
               INSERT INTO comments (article_id, parent_id, root_id, depth, status, author_id, body, body_html,
                                     client_hash, body_hash, held_because)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *)
           SELECT c.id, c.article_id, c.parent_id, c.root_id, c.depth, c.status, c.author_id,
                  u.username AS author_username, u.display_name AS author_display_name, c.body,
                  c.body_html, c.created_at, c.edited_at, c.score, 0 AS my_vote, c.moderation_reason
           FROM c LEFT JOIN users u ON u.id = c.author_id""",
        article_id,
        parent.id if parent else None,
        (parent.root_id or parent.id) if parent else None,
        parent.depth + 1 if parent else 0,
        status,
        author_id,
        body,
        body_html,
        client_hash,
        body_hash,
        held_because,
    )
    return _comment(row)


async def change_status(conn: asyncpg.Connection, comment_id: int, from_status: str, to_status: str) -> bool:
    """Move a comment from one status to another, once: False if it was no longer in ``from_status``."""
    row = await conn.fetchval(
        """UPDATE comments SET status = $3,
                  deleted_at = CASE WHEN $3 = 'deleted' THEN now() END
           WHERE id = $1 AND status = $2 RETURNING true""",
        comment_id,
        from_status,
        to_status,
    )
    return row is not None


async def set_moderation_reason(conn: asyncpg.Connection, comment_id: int, reason: str | None) -> None:
    await conn.execute("UPDATE comments SET moderation_reason = $2 WHERE id = $1", comment_id, reason)


async def update_body(
    conn: asyncpg.Connection, comment_id: int, body: str, body_html: str, body_hash: bytes
) -> None:
    await conn.execute(
        "UPDATE comments SET body = $2, body_html = $3, body_hash = $4, edited_at = now() WHERE id = $1",
        comment_id,
        body,
        body_html,
        body_hash,
    )


async def set_vote(conn: asyncpg.Connection, comment_id: int, user_id: int, value: int) -> int:
    """Record the user's vote (0 withdraws it) and return the comment's new score.
    The comment row is locked first, so votes on one comment apply one at a time."""
    await conn.execute("SELECT 1 FROM comments WHERE id = $1 FOR NO KEY UPDATE", comment_id)
    previous = await conn.fetchval(
        "SELECT value FROM votes WHERE comment_id = $1 AND user_id = $2", comment_id, user_id
    )
    if value == 0:
        await conn.execute("DELETE FROM votes WHERE comment_id = $1 AND user_id = $2", comment_id, user_id)
    else:
        await conn.execute(
            """INSERT INTO votes (comment_id, user_id, value) VALUES ($1, $2, $3)
               ON CONFLICT (comment_id, user_id) DO UPDATE SET value = EXCLUDED.value, voted_at = now()""",
            comment_id,
            user_id,
            value,
        )
    return await conn.fetchval(
        "UPDATE comments SET score = score + $2 WHERE id = $1 RETURNING score",
        comment_id,
        value - (previous or 0),
    )


async def insert_report(
    conn: asyncpg.Connection, comment_id: int, user_id: int, reason: str, note: str | None
) -> bool:
    """False when this user had already reported this comment."""
    status = await conn.execute(
        """INSERT INTO reports (comment_id, user_id, reason, note) VALUES ($1, $2, $3, $4)
           ON CONFLICT (comment_id, user_id) DO NOTHING""",
        comment_id,
        user_id,
        reason,
        note,
    )
    return status.endswith(" 1")


async def claim_idempotency_key(
    conn: asyncpg.Connection, user_id: int, key: str, request_hash: bytes
) -> bool:
    """True when the key is new. A concurrent transaction holding the same key
    makes this wait until it commits (then False) or rolls back (then True)."""
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND created_at < now() - $2::interval",
        user_id,
        IDEMPOTENCY_KEY_LIFETIME,
    )
    status = await conn.execute(
        """INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, key) DO NOTHING""",
        user_id,
        key,
        request_hash,
    )
    return status.endswith(" 1")


async def idempotent_result(conn: asyncpg.Connection, user_id: int, key: str) -> tuple[bytes, int | None]:
    """The request hash a key was first used with, and the comment it created."""
    row = await conn.fetchrow(
        "SELECT request_hash, comment_id FROM idempotency_keys WHERE user_id = $1 AND key = $2", user_id, key
    )
    return bytes(row["request_hash"]), row["comment_id"]


async def record_idempotent_result(conn: asyncpg.Connection, user_id: int, key: str, comment_id: int) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET comment_id = $3 WHERE user_id = $1 AND key = $2",
        user_id,
        key,
        comment_id,
    )


async def anonymise_author(conn: asyncpg.Connection, user_id: int) -> None:
    """Before an account is erased: its comments stay, with no trace of who wrote them."""
    await conn.execute(
        "UPDATE comments SET author_id = NULL, client_hash = NULL WHERE author_id = $1", user_id
    )


async def articles_of_author(conn: asyncpg.Connection, user_id: int) -> list[tuple[str, str]]:
    """(site slug, article key) of every article the user commented on."""
    rows = await conn.fetch(
        """SELECT DISTINCT s.slug, a.key FROM comments c JOIN articles a ON a.id = c.article_id
           JOIN sites s ON s.id = a.site_id WHERE c.author_id = $1""",
        user_id,
    )
    return [(row["slug"], row["key"]) for row in rows]


async def by_author(conn: asyncpg.Connection, user_id: int) -> list[AuthoredComment]:
    rows = await conn.fetch(
        """SELECT c.id, s.slug AS site, a.key AS article, c.parent_id, c.status, c.body, c.created_at, c.edited_at
           FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
           WHERE c.author_id = $1 ORDER BY c.created_at, c.id""",
        user_id,
    )
    return [AuthoredComment(**dict(row)) for row in rows]
