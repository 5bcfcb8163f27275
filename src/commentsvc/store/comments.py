"""SQL for comments and what hangs off them: threads, votes, reports, an author's data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from commentsvc.model.accounts import AuthoredComment, OwnReport, OwnVote
from commentsvc.model.appeals import AppealStatus
from commentsvc.model.articles import ReaderAsked, ReaderContext, ReaderPart, Vote
from commentsvc.model.comments import CommentContext, CommentOnArticle, OwnComment, StoredComment, Version
from commentsvc.model.moderation import Ban, Decidable, Finding, Standing
from commentsvc.model.sites import Site
from commentsvc.store import articles, sites

# A comment's appeal, read only for its author and moderators (an anonymous page never asks).
_APPEAL = """(SELECT {what} FROM appeals ap JOIN moderation_items ai ON ai.id = ap.item_id
              WHERE ap.comment_id = c.id)"""
_APPEAL_STATUS = _APPEAL.format(
    what=f"""CASE ai.decision WHEN 'approve' THEN '{AppealStatus.REINSTATED}'
                 WHEN 'reject' THEN '{AppealStatus.UPHELD}' ELSE '{AppealStatus.PENDING}' END"""
)


def _columns(viewer_moderates: str) -> str:
    """A comment's columns as ``viewer`` ($2, a user id or NULL) may see them;
    ``viewer_moderates`` is the SQL expression saying whether they moderate it."""
    privileged = f"{viewer_moderates} OR c.author_id = $2"
    return f"""c.id, c.article_id, c.parent_id, c.root_id, c.depth, c.status, c.author_id,
        u.username AS author_username, u.display_name AS author_display_name,
        CASE WHEN {privileged} THEN c.body END AS body,
        c.body_html, c.created_at, c.edited_at, c.score, coalesce(v.value, 0)::int AS my_vote,
        CASE WHEN {privileged} THEN c.moderation_reason END AS moderation_reason,
        CASE WHEN {privileged} THEN {_APPEAL_STATUS} END AS appeal,
        CASE WHEN {privileged} THEN {_APPEAL.format(what="ai.reason")} END AS appeal_reason,
        c.pinned"""


_COLUMNS = _columns("$3")
_JOINS = """LEFT JOIN users u ON u.id = c.author_id
    LEFT JOIN votes v ON v.comment_id = c.id AND v.user_id = $2"""

# Per sort: the order of top-level comments, and the keyset condition after a
# cursor ($5 and on: the cursor's values). The only text put into the page query. Pinned comments
# come first, in the same order among themselves (``page`` reads them apart).
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


_FINDINGS = msgspec.json.Decoder(list[Finding])


def findings_json(found: list[Finding]) -> str | None:
    """What policy found, for comments.held_findings; None when nothing held the comment."""
    return msgspec.json.encode(found).decode() if found else None


def findings_from(stored: str | None) -> list[Finding]:
    return _FINDINGS.decode(stored) if stored else []


def comment_from(row: asyncpg.Record) -> StoredComment:
    return StoredComment(*(row[field] for field in StoredComment.__struct_fields__))


async def page(
    conn: asyncpg.Connection,
    article_id: int,
    viewer_id: int | None,
    viewer_moderates: bool,
    sort: str,
    after: tuple[datetime, int, int, bool] | None,
    limit: int,
    replies: int,
) -> list[StoredComment]:
    """Up to ``limit + 1`` top-level comments after the cursor, pinned ones first, in order, then
    the first ``replies + 1`` replies (oldest first) of each of the first ``limit`` of them: one
    query whatever the thread size, each thread's replies read from its index up to the bound.
    The pinned comments (a few, on their own index) and the others (on the sort's index) are read
    apart, each from the cursor when it is in their part: the others all come after the pinned."""
    order, keyset = SORTS[sort]
    cursor_values: tuple[object, ...] = ()
    pinned_after, others_after = "", ""
    if after is not None:
        created_at, comment_id, score, pinned = after
        cursor_values = (created_at, comment_id, score) if sort == "top" else (created_at, comment_id)
        pinned_after, others_after = (f"AND {keyset}", "") if pinned else ("AND false", f"AND {keyset}")
    rows = await conn.fetch(
        f"""WITH top AS MATERIALIZED (
                SELECT c.id, row_number() OVER (ORDER BY c.pinned DESC, {order}) AS position
                FROM ((SELECT c.id, c.pinned, c.created_at, c.score FROM comments c
                       WHERE c.article_id = $1 AND c.pinned AND {_LISTED} {pinned_after}
                       ORDER BY {order} LIMIT $4 + 1)
                      UNION ALL
                      (SELECT c.id, c.pinned, c.created_at, c.score FROM comments c
                       WHERE c.article_id = $1 AND c.parent_id IS NULL AND NOT c.pinned AND {_LISTED}
                         {others_after}
                       ORDER BY {order} LIMIT $4 + 1)) c
                ORDER BY c.pinned DESC, {order} LIMIT $4 + 1)
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
    return [comment_from(row) for row in rows]


# A reader's own part of a thread (model.articles.ReaderPart), beside its context
# (store.articles.context_sql): what of the article's comments is theirs (q.viewer).
_READER_PART = f""",
        EXISTS (SELECT 1 FROM comments c WHERE c.author_id = q.viewer AND c.article_id = a.id
                AND c.status NOT IN ('approved', 'deleted')) AS unpublished,
        (SELECT json_agg(json_build_array(v.comment_id, v.value, c.status = 'approved'))
         FROM votes v JOIN comments c ON c.id = v.comment_id
         WHERE v.user_id = q.viewer AND v.article_id = a.id)::text AS votes,
        (SELECT json_agg(json_build_object('id', c.id, 'body', c.body, 'moderation_reason', c.moderation_reason,
                                           'appeal', {_APPEAL_STATUS}, 'appeal_reason', {_APPEAL.format(what="ai.reason")}))
         FROM comments c WHERE c.author_id = q.viewer AND c.article_id = a.id AND c.status = 'approved')::text AS own,
        q.n"""
_READERS = articles.context_sql(
    "unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS q(slug, key, viewer, n)", _READER_PART
)
_VOTES = msgspec.json.Decoder(list[Vote])
_OWN = msgspec.json.Decoder(list[OwnComment])


async def reader_contexts(
    conn: asyncpg.Connection, asked: Sequence[ReaderAsked]
) -> list[ReaderContext | None]:
    """For each (site, article, reader) asked, the thread's context for that signed-in reader with
    their own part of it, or None when the site does not exist: one query for all."""
    rows = await conn.fetch(_READERS, *(list(column) for column in zip(*asked, strict=True)))
    found = {row["n"]: row for row in rows}
    return [_reader_context(found.get(n)) for n in range(1, len(asked) + 1)]


def _reader_context(row: asyncpg.Record | None) -> ReaderContext | None:
    if row is None:
        return None
    votes = _VOTES.decode(row["votes"]) if row["votes"] else []
    own = _OWN.decode(row["own"]) if row["own"] else []
    return ReaderContext(articles.context_from(row), ReaderPart(votes, own, row["unpublished"]))


async def replies(
    conn: asyncpg.Connection,
    root_id: int,
    viewer_id: int | None,
    viewer_moderates: bool,
    after: tuple[datetime, int] | None,
    count: int,
) -> tuple[list[StoredComment], list[StoredComment]]:
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
    return [comment_from(row) for row in rows if row["in_chunk"]], [
        comment_from(row) for row in rows if not row["in_chunk"]
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
        comment=comment_from(row),
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
) -> StoredComment:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM comments c {_JOINS} WHERE c.id = $1", comment_id, viewer_id, viewer_moderates
    )
    return comment_from(row)


async def change_status(conn: asyncpg.Connection, comment_id: int, from_status: str, to_status: str) -> bool:
    """Move a comment from one status to another, once: False if it was no longer in ``from_status``."""
    return bool(await change_statuses(conn, [(comment_id, from_status)], to_status))


async def change_statuses(
    conn: asyncpg.Connection, moves: Sequence[tuple[int, str]], to_status: str
) -> list[int]:
    """Move each comment (id, the status it is in) to ``to_status``, once: the ids of those still in
    the status given, which moved."""
    rows = await conn.fetch(
        """UPDATE comments c SET status = $3, deleted_at = CASE WHEN $3 = 'deleted' THEN now() END
           FROM unnest($1::bigint[], $2::text[]) AS m (id, status)
           WHERE c.id = m.id AND c.status = m.status RETURNING c.id""",
        [comment_id for comment_id, _ in moves],
        [status for _, status in moves],
        to_status,
    )
    return [row["id"] for row in rows]


async def set_moderation_reasons(
    conn: asyncpg.Connection, comment_ids: Sequence[int], reason: str | None
) -> None:
    await conn.execute(
        "UPDATE comments SET moderation_reason = $2 WHERE id = ANY($1::bigint[])", list(comment_ids), reason
    )


async def lock_decidable(
    conn: asyncpg.Connection, comment_ids: Sequence[int], site_id: int | None = None
) -> list[Decidable]:
    """The comments (of the site, if given) as a decision needs them, locked until the transaction
    ends (as ``lock`` does), in id order: two bulk decisions sharing comments cannot deadlock."""
    rows = await conn.fetch(
        """SELECT c.id, a.site_id, c.article_id, a.key AS article_key, c.parent_id, c.author_id, c.status,
                  c.revision
           FROM comments c JOIN articles a ON a.id = c.article_id
           WHERE c.id = ANY($1::bigint[]) AND ($2::bigint IS NULL OR a.site_id = $2)
           ORDER BY c.id FOR NO KEY UPDATE OF c""",
        list(comment_ids),
        site_id,
    )
    return [Decidable(**dict(row)) for row in rows]


async def unpin_unpublished(conn: asyncpg.Connection, comment_id: int) -> tuple[int, int] | None:
    """Unpin the comment if it is pinned but no longer published; its site's and article's ids
    when it was, else None."""
    row = await conn.fetchrow(
        """UPDATE comments c SET pinned = false FROM articles a
           WHERE c.id = $1 AND c.pinned AND c.status <> 'approved' AND a.id = c.article_id
           RETURNING a.site_id, c.article_id""",
        comment_id,
    )
    return None if row is None else (row["site_id"], row["article_id"])


async def set_pinned(conn: asyncpg.Connection, comment_id: int, pinned: bool) -> bool:
    """False when the comment already was (or was not) pinned."""
    status = await conn.execute(
        "UPDATE comments SET pinned = $2 WHERE id = $1 AND pinned <> $2", comment_id, pinned
    )
    return status.endswith(" 1")


async def recent_on_site(
    conn: asyncpg.Connection, site_id: int, author_id: int, viewer_id: int, limit: int
) -> list[CommentOnArticle]:
    """The author's latest comments on the site, of any status, newest first, as a moderator
    (``viewer_id``) sees them, each with its article."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS}, a.key AS article_key, a.title AS article_title, a.url AS article_url,
                   a.locked AS article_locked
            FROM comments c JOIN articles a ON a.id = c.article_id {_JOINS}
            WHERE c.author_id = $4 AND a.site_id = $1
            ORDER BY c.created_at DESC, c.id DESC LIMIT $5""",
        site_id,
        viewer_id,
        True,
        author_id,
        limit,
    )
    return [
        CommentOnArticle(
            comment_from(row),
            row["article_key"],
            row["article_title"],
            row["article_url"],
            row["article_locked"],
        )
        for row in rows
    ]


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
        f"""SELECT {sites.columns_as("s")}, u.created_at AS account_created_at, u.email_verified,
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
        email_verified=row["email_verified"],
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
    found: list[Finding],
) -> None:
    """Write an edit as the comment's next revision, in ``status``, keeping the text it replaces
    among the comment's versions (the statement's snapshot reads the row before the update); a held
    comment keeps the reason it was first held for (and its findings) unless the new text gives one."""
    await conn.execute(
        """WITH kept AS (
               INSERT INTO comment_versions (comment_id, revision, body, edited_at)
               SELECT id, revision, body, edited_at FROM comments WHERE id = $1)
           UPDATE comments SET body = $2, body_html = $3, body_hash = $4, edited_at = now(),
                  revision = revision + 1, status = $5, held_because = coalesce($6, held_because),
                  held_findings = coalesce($7::jsonb, held_findings)
           WHERE id = $1""",
        comment_id,
        body,
        body_html,
        body_hash,
        status,
        held_because,
        findings_json(found),
    )


async def versions(conn: asyncpg.Connection, comment_id: int) -> list[Version]:
    """Every text the comment had since its versions were kept, oldest first, the current one last."""
    rows = await conn.fetch(
        """SELECT body, edited_at FROM (
               SELECT revision, body, edited_at FROM comment_versions WHERE comment_id = $1
               UNION ALL
               SELECT revision, body, edited_at FROM comments WHERE id = $1) v
           ORDER BY revision""",
        comment_id,
    )
    return [Version(row["body"], row["edited_at"]) for row in rows]


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


async def anonymise_author(conn: asyncpg.Connection, user_id: int) -> None:
    """Before an account is erased: its comments stay, with no trace of who wrote them."""
    await conn.execute(
        "UPDATE comments SET author_id = NULL, client_hash = NULL WHERE author_id = $1", user_id
    )


async def articles_of_user(conn: asyncpg.Connection, user_id: int) -> list[tuple[int, int]]:
    """(site id, article id) of every article the user commented on or voted on."""
    rows = await conn.fetch(
        """SELECT a.site_id, a.id FROM articles a
           WHERE a.id IN (SELECT article_id FROM comments WHERE author_id = $1
                          UNION SELECT c.article_id FROM votes v JOIN comments c ON c.id = v.comment_id
                                WHERE v.user_id = $1)
           ORDER BY a.id""",
        user_id,
    )
    return [(row["site_id"], row["id"]) for row in rows]


async def by_author(conn: asyncpg.Connection, user_id: int) -> list[AuthoredComment]:
    rows = await conn.fetch(
        """SELECT c.id, s.slug AS site, a.key AS article, c.parent_id, c.status, c.body, c.created_at, c.edited_at
           FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
           WHERE c.author_id = $1 ORDER BY c.created_at, c.id""",
        user_id,
    )
    return [AuthoredComment(**dict(row)) for row in rows]


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
