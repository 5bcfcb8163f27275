"""SQL for comments and what hangs off them: votes, reports, idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg
import msgspec

from commentsvc.model.sites import Site
from commentsvc.store import sites
from commentsvc.store.articles import Article
from commentsvc.store.moderation import Ban, Standing

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
IDEMPOTENCY_KEY_CONSTRAINT = "idempotency_keys_pkey"


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
    replies: int,
) -> list[CommentRow]:
    """Up to ``limit + 1`` top-level comments after the cursor, in order, then the first
    ``replies + 1`` replies (oldest first) of each of the first ``limit`` of them: one query
    whatever the thread size, each thread's replies read from its index up to the bound."""
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
            SELECT r.* FROM top t CROSS JOIN LATERAL (
                SELECT {_COLUMNS}, NULL::bigint AS position FROM comments c {_JOINS}
                WHERE c.root_id = t.id ORDER BY c.created_at, c.id LIMIT ${5 + len(cursor_values)} + 1) r
            WHERE t.position <= $4
            ORDER BY position NULLS LAST, created_at, id""",
        article_id,
        viewer_id,
        viewer_moderates,
        limit,
        *cursor_values,
        replies,
    )
    return [_comment(row) for row in rows]


async def replies(
    conn: asyncpg.Connection,
    root_id: int,
    viewer_id: int | None,
    viewer_moderates: bool,
    after: tuple[datetime, int] | None,
    count: int,
) -> tuple[list[CommentRow], list[CommentRow]]:
    """The next ``count + 1`` replies of a thread after the cursor, oldest first; and, oldest
    first, the comments above those of them whose parent is not among them, up to the thread's
    top-level comment (which is always there if ``root_id`` is a comment), for them to hang
    under: one query."""
    rows = await conn.fetch(
        f"""WITH RECURSIVE chunk AS MATERIALIZED (
                SELECT r.id, r.parent_id, row_number() OVER (ORDER BY r.created_at, r.id) AS n
                FROM comments r
                WHERE r.root_id = $1 {"AND (r.created_at, r.id) > ($5::timestamptz, $6::bigint)" if after else ""}
                ORDER BY r.created_at, r.id LIMIT $4 + 1),
            -- Up from the parents outside the chunk, one comment at a time by its primary key.
            above (id, parent_id) AS (
                SELECT p.id, p.parent_id FROM comments p
                WHERE p.id IN (SELECT parent_id FROM chunk WHERE n <= $4 EXCEPT SELECT id FROM chunk
                               UNION SELECT $1::bigint)
                UNION
                SELECT a.parent_id, (SELECT p.parent_id FROM comments p WHERE p.id = a.parent_id)
                FROM above a WHERE a.parent_id IS NOT NULL)
            SELECT {_COLUMNS}, true AS in_chunk FROM chunk t JOIN comments c ON c.id = t.id {_JOINS}
            UNION ALL
            SELECT {_COLUMNS}, false FROM comments c {_JOINS} WHERE c.id = ANY (ARRAY(SELECT id FROM above))
            ORDER BY created_at, id""",
        root_id,
        viewer_id,
        viewer_moderates,
        count,
        *(after or ()),
    )
    return [_comment(row) for row in rows if row["in_chunk"]], [
        _comment(row) for row in rows if not row["in_chunk"]
    ]


async def replies_after(
    conn: asyncpg.Connection,
    viewer_id: int | None,
    viewer_moderates: bool,
    positions: Sequence[tuple[int, datetime, int]],
) -> list[int]:
    """For each (thread's top-level comment id, created_at and id of a reply), how many of the
    thread's later replies the viewer may see."""
    return [
        row["later"]
        for row in await conn.fetch(
            """SELECT (SELECT count(*) FROM comments r
                       WHERE r.root_id = q.root_id AND (r.created_at, r.id) > (q.created_at, q.id)
                         AND (r.status = 'approved' OR $3 OR (r.status <> 'deleted' AND r.author_id = $2))) AS later
               FROM unnest($1::bigint[], $4::timestamptz[], $5::bigint[]) WITH ORDINALITY AS q (root_id, created_at, id, n)
               ORDER BY q.n""",
            [root_id for root_id, _, _ in positions],
            viewer_id,
            viewer_moderates,
            [created_at for _, created_at, _ in positions],
            [reply_id for _, _, reply_id in positions],
        )
    ]


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


class KeyUse(msgspec.Struct, frozen=True):
    """An Idempotency-Key's earlier use by the same author."""

    request_hash: bytes
    comment_id: int | None
    expired: bool


class PostingContext(msgspec.Struct, frozen=True):
    """Everything deciding about a new comment needs, read in one query before it is written."""

    site: Site
    standing: Standing | None  # None: the account no longer exists
    article: Article | None  # None: the article's first comment
    parent: Parent | None  # the comment replied to, if it exists
    key_use: KeyUse | None  # the Idempotency-Key's earlier use, if any


class NewRow(msgspec.Struct, frozen=True):
    """A comment about to be written, and what must still hold when it is."""

    site_id: int
    article_key: str
    article_title: str | None
    article_url: str | None
    article_id: int | None  # None: the article is created with its first comment
    replied_to: int | None  # the comment the author replied to (it must still be visible to them)
    parent: Parent | None  # where the reply hangs: that comment or its deepest allowed ancestor
    status: str
    author_id: int
    body: str
    body_html: str
    client_hash: bytes
    body_hash: bytes
    held_because: str | None
    idempotency_key: str | None
    request_hash: bytes | None


class ContextQuery(msgspec.Struct, frozen=True):
    """What a new comment's context is looked up by."""

    slug: str
    article_key: str
    author_id: int
    parent_id: int | None
    body_hash: bytes
    idempotency_key: str | None


async def posting_contexts(
    conn: asyncpg.Connection, queries: Sequence[ContextQuery], new_account: timedelta
) -> list[PostingContext | None]:
    """The context of each new comment (None when its site does not exist), in one query for
    them all. The burst count is only taken for an account younger than ``new_account`` and
    stops at the site's threshold: the policy asks no more of it. The author's comments are
    found through their own indexes first and only then their article's site asked for (joined
    the other way, the planner may walk every article of the site for each comment posted)."""
    rows = await conn.fetch(
        f"""SELECT q.n, {sites.columns_as("s")}, u.created_at AS account_created_at,
                   coalesce(st.approved, 0) AS approved, coalesce(st.rejected, 0) AS rejected,
                   CASE WHEN u.created_at > now() - $7::interval THEN
                       (SELECT count(*) FROM (
                            SELECT FROM comments c
                            WHERE c.author_id = u.id AND c.created_at > now() - make_interval(mins => s.burst_minutes)
                              AND (SELECT ca.site_id FROM articles ca WHERE ca.id = c.article_id) = s.id
                            LIMIT s.burst_count) recent)
                   ELSE 0 END AS recent,
                   EXISTS (SELECT FROM comments c
                           WHERE c.author_id = u.id AND c.body_hash = q.body_hash AND c.status <> 'deleted'
                             AND (SELECT ca.site_id FROM articles ca WHERE ca.id = c.article_id) = s.id) AS same_text,
                   b.user_id IS NOT NULL AS banned, b.until AS ban_until, b.reason AS ban_reason,
                   a.id AS article_id, a.title AS article_title, a.url AS article_url,
                   a.locked AS article_locked, a.comment_count AS article_comment_count,
                   p.id AS parent_id, p.article_id AS parent_article_id, p.root_id AS parent_root_id,
                   p.depth AS parent_depth, p.status AS parent_status, p.author_id AS parent_author_id,
                   k.request_hash, k.comment_id AS key_comment_id, k.created_at < now() - $8::interval AS key_expired
            FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[], $6::text[])
                 WITH ORDINALITY AS q (slug, article_key, author_id, parent_id, body_hash, idempotency_key, n)
            JOIN sites s ON s.slug = q.slug
            LEFT JOIN users u ON u.id = q.author_id
            LEFT JOIN author_standing st ON st.site_id = s.id AND st.user_id = u.id
            LEFT JOIN bans b ON b.site_id = s.id AND b.user_id = u.id AND (b.until IS NULL OR b.until > now())
            LEFT JOIN articles a ON a.site_id = s.id AND a.key = q.article_key
            LEFT JOIN comments p ON p.id = q.parent_id
            LEFT JOIN idempotency_keys k ON k.user_id = u.id AND k.key = q.idempotency_key""",
        [q.slug for q in queries],
        [q.article_key for q in queries],
        [q.author_id for q in queries],
        [q.parent_id for q in queries],
        [q.body_hash for q in queries],
        [q.idempotency_key for q in queries],
        new_account,
        IDEMPOTENCY_KEY_LIFETIME,
    )
    found = {row["n"]: _posting_context(queries[row["n"] - 1], row) for row in rows}
    return [found.get(n) for n in range(1, len(queries) + 1)]


def _posting_context(query: ContextQuery, row: asyncpg.Record) -> PostingContext:
    standing = None
    if row["account_created_at"] is not None:
        ban = Ban(row["ban_until"], row["ban_reason"]) if row["banned"] else None
        standing = Standing(
            row["account_created_at"], row["approved"], row["rejected"], row["recent"], row["same_text"], ban
        )
    article = None
    if row["article_id"] is not None:
        article = Article(
            row["article_id"],
            query.article_key,
            row["article_title"],
            row["article_url"],
            row["article_locked"],
            row["article_comment_count"],
        )
    parent = None
    if row["parent_id"] is not None:
        parent = Parent(*(row[f"parent_{field}"] for field in Parent.__struct_fields__))
    key_use = None
    if row["request_hash"] is not None:
        key_use = KeyUse(bytes(row["request_hash"]), row["key_comment_id"], row["key_expired"])
    return PostingContext(sites.site_from(row), standing, article, parent, key_use)


async def insert(conn: asyncpg.Connection, rows: Sequence[NewRow]) -> list[CommentRow | None]:
    """Write the comments in one statement (one transaction, one commit), each with what goes
    with it: its article on the article's first comment, the moderation item of a held comment,
    the Idempotency-Key (the public count and the author's standing follow in the database).
    A comment whose context changed since it was read (article locked or created, author banned,
    comment replied to removed) is not written: None in its place. One Idempotency-Key already
    used by a concurrent request fails the statement (UniqueViolationError), as does a deadlock.

    The standings and counts move in one trigger for the whole statement (sql/0006), which
    takes the authors' standings, then the articles, each in order: concurrent batches, and a
    batch and a moderator's decision (its author's standing, then its article), cannot deadlock."""
    result = await conn.fetch(
        """WITH arg AS (
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                                     $7::bigint[], $8::bigint[], $9::smallint[], $10::text[], $11::bigint[],
                                     $12::text[], $13::text[], $14::bytea[], $15::bytea[], $16::text[], $17::text[],
                                     $18::bytea[])
                    WITH ORDINALITY AS arg (site_id, article_key, article_title, article_url, article_id, replied_to,
                                           parent_id, root_id, depth, status, author_id, body, body_html, client_hash,
                                           body_hash, held_because, idempotency_key, request_hash, n)),
            created AS (
                -- ON CONFLICT DO NOTHING: a concurrent first comment created it (the comment is read again).
                INSERT INTO articles (site_id, key, title, url)
                SELECT DISTINCT ON (site_id, article_key) site_id, article_key, article_title, article_url
                FROM arg WHERE article_id IS NULL
                ORDER BY site_id, article_key, n
                ON CONFLICT (site_id, key) DO NOTHING RETURNING id, site_id, key),
            target AS (
                SELECT arg.n, a.id, a.site_id FROM arg JOIN articles a ON a.id = arg.article_id WHERE NOT a.locked
                UNION ALL
                SELECT arg.n, created.id, created.site_id
                FROM arg JOIN created ON created.site_id = arg.site_id AND created.key = arg.article_key
                WHERE arg.article_id IS NULL),
            ready AS (
                SELECT arg.*, target.id AS target_article_id, target.site_id AS target_site_id,
                       nextval(pg_get_serial_sequence('comments', 'id')) AS comment_id
                FROM arg JOIN target USING (n)
                WHERE NOT EXISTS (SELECT FROM bans b WHERE b.site_id = target.site_id AND b.user_id = arg.author_id
                                  AND (b.until IS NULL OR b.until > now()))
                  AND (arg.replied_to IS NULL OR EXISTS (
                      SELECT FROM comments p WHERE p.id = arg.replied_to AND p.article_id = target.id
                      AND (p.status = 'approved' OR (p.status = 'pending' AND p.author_id = arg.author_id))))),
            c AS (
                INSERT INTO comments (id, article_id, parent_id, root_id, depth, status, author_id, body, body_html,
                                      client_hash, body_hash, held_because)
                OVERRIDING SYSTEM VALUE
                SELECT comment_id, target_article_id, parent_id, root_id, depth, status, author_id, body, body_html,
                       client_hash, body_hash, held_because
                FROM ready ORDER BY author_id, n
                RETURNING *),
            held AS (
                INSERT INTO moderation_items (site_id, comment_id, kind)
                SELECT target_site_id, comment_id, 'held' FROM ready WHERE held_because IS NOT NULL),
            kept AS (
                INSERT INTO idempotency_keys (user_id, key, request_hash, comment_id)
                SELECT author_id, idempotency_key, request_hash, comment_id FROM ready
                WHERE idempotency_key IS NOT NULL ORDER BY author_id, n)
            SELECT ready.n, c.id, c.article_id, c.parent_id, c.root_id, c.depth, c.status, c.author_id,
                   u.username AS author_username, u.display_name AS author_display_name, c.body,
                   c.body_html, c.created_at, c.edited_at, c.score, 0 AS my_vote, c.moderation_reason
            FROM c JOIN ready ON ready.comment_id = c.id LEFT JOIN users u ON u.id = c.author_id""",
        [row.site_id for row in rows],
        [row.article_key for row in rows],
        [row.article_title for row in rows],
        [row.article_url for row in rows],
        [row.article_id for row in rows],
        [row.replied_to for row in rows],
        [row.parent.id if row.parent else None for row in rows],
        [(row.parent.root_id or row.parent.id) if row.parent else None for row in rows],
        [row.parent.depth + 1 if row.parent else 0 for row in rows],
        [row.status for row in rows],
        [row.author_id for row in rows],
        [row.body for row in rows],
        [row.body_html for row in rows],
        [row.client_hash for row in rows],
        [row.body_hash for row in rows],
        [row.held_because for row in rows],
        [row.idempotency_key for row in rows],
        [row.request_hash for row in rows],
    )
    written = {record["n"]: _comment(record) for record in result}
    return [written.get(n) for n in range(1, len(rows) + 1)]


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


async def lock(conn: asyncpg.Connection, comment_id: int) -> int | None:
    """Lock the comment until the transaction ends, so that its edits and the decisions about it
    apply one at a time; its revision, or None if there is no such comment."""
    return await conn.fetchval("SELECT revision FROM comments WHERE id = $1 FOR NO KEY UPDATE", comment_id)


async def editing_standing(
    conn: asyncpg.Connection, comment_id: int, body_hash: bytes
) -> tuple[Site, Standing]:
    """The site and its author's standing there, for judging an edit of the comment as if it were
    posted now with the new text (``body_hash``): its own record left out, and no burst (an edit
    adds no comment)."""
    row = await conn.fetchrow(
        f"""SELECT {sites.columns_as("s")}, u.created_at AS account_created_at,
                   coalesce(st.approved, 0) - (c.status = 'approved')::int AS approved,
                   coalesce(st.rejected, 0) AS rejected,
                   EXISTS (SELECT FROM comments o JOIN articles oa ON oa.id = o.article_id
                           WHERE o.author_id = c.author_id AND o.body_hash = $2 AND o.status <> 'deleted'
                             AND o.id <> c.id AND oa.site_id = s.id) AS same_text,
                   b.until AS ban_until, b.reason AS ban_reason, b.user_id IS NOT NULL AS banned
            FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
            JOIN users u ON u.id = c.author_id
            LEFT JOIN author_standing st ON st.site_id = s.id AND st.user_id = u.id
            LEFT JOIN bans b ON b.site_id = s.id AND b.user_id = u.id AND (b.until IS NULL OR b.until > now())
            WHERE c.id = $1""",
        comment_id,
        body_hash,
    )
    ban = Ban(row["ban_until"], row["ban_reason"]) if row["banned"] else None
    standing = Standing(
        account_created_at=row["account_created_at"],
        approved=row["approved"],
        rejected=row["rejected"],
        recent_comments=0,
        same_text_before=row["same_text"],
        ban=ban,
    )
    return sites.site_from(row), standing


async def update_body(
    conn: asyncpg.Connection,
    comment_id: int,
    body: str,
    body_html: str,
    body_hash: bytes,
    status: str,
    held_because: str | None,
) -> None:
    """Write an edit as the comment's next revision, in ``status``; a held comment keeps the reason
    it was first held for unless the new text gives one."""
    await conn.execute(
        """UPDATE comments SET body = $2, body_html = $3, body_hash = $4, edited_at = now(),
                  revision = revision + 1, status = $5, held_because = coalesce($6, held_because)
           WHERE id = $1""",
        comment_id,
        body,
        body_html,
        body_hash,
        status,
        held_because,
    )


async def set_vote(conn: asyncpg.Connection, comment_id: int, user_id: int, value: int) -> int:
    """Record the user's vote (0 withdraws it) and return the comment's new score. The database
    moves the score with the votes (sql/0010), locking the comment's row: votes on one comment
    apply one at a time."""
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
    return await conn.fetchval("SELECT score FROM comments WHERE id = $1", comment_id)


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


async def forget_expired_key(conn: asyncpg.Connection, user_id: int, key: str) -> None:
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at < now() - $3::interval",
        user_id,
        key,
        IDEMPOTENCY_KEY_LIFETIME,
    )


async def anonymise_author(conn: asyncpg.Connection, user_id: int) -> None:
    """Before an account is erased: its comments stay, with no trace of who wrote them."""
    await conn.execute(
        "UPDATE comments SET author_id = NULL, client_hash = NULL WHERE author_id = $1", user_id
    )


async def articles_of_user(conn: asyncpg.Connection, user_id: int) -> list[tuple[str, str]]:
    """(site slug, article key) of every article the user commented on or voted on."""
    rows = await conn.fetch(
        """SELECT s.slug, a.key FROM articles a JOIN sites s ON s.id = a.site_id
           WHERE a.id IN (SELECT article_id FROM comments WHERE author_id = $1
                          UNION SELECT c.article_id FROM votes v JOIN comments c ON c.id = v.comment_id
                                WHERE v.user_id = $1)""",
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


class OwnVote(msgspec.Struct, frozen=True):
    """A vote as its voter's data export shows it."""

    comment_id: int
    site: str
    article: str
    value: int
    voted_at: datetime


class OwnReport(msgspec.Struct, frozen=True):
    """A report as its reporter's data export shows it."""

    comment_id: int
    site: str
    article: str
    reason: str
    note: str | None
    created_at: datetime


async def votes_of(conn: asyncpg.Connection, user_id: int) -> list[OwnVote]:
    rows = await _acts_of(conn, user_id, "votes", "x.value, x.voted_at", "voted_at")
    return [OwnVote(**row) for row in rows]


async def reports_of(conn: asyncpg.Connection, user_id: int) -> list[OwnReport]:
    rows = await _acts_of(conn, user_id, "reports", "x.reason, x.note, x.created_at", "created_at")
    return [OwnReport(**row) for row in rows]


async def _acts_of(conn: asyncpg.Connection, user_id: int, table: str, columns: str, when: str) -> list[dict]:
    """A reader's rows of ``table`` (votes, reports: keyed by comment and user), oldest first, each
    with the site and article of its comment."""
    rows = await conn.fetch(
        f"""SELECT x.comment_id, s.slug AS site, a.key AS article, {columns}
            FROM {table} x JOIN comments c ON c.id = x.comment_id
                 JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
            WHERE x.user_id = $1 ORDER BY x.{when}, x.comment_id""",
        user_id,
    )
    return [dict(row) for row in rows]
