"""SQL for posting: the context of new comments read in one query, their batched insert, and
the Idempotency-Keys that make a post safe to send again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from commentsvc.errors import RolledBack
from commentsvc.model.articles import Article
from commentsvc.model.comments import Parent
from commentsvc.model.events import ARTICLE_STREAM, EventType
from commentsvc.model.moderation import Ban, Standing
from commentsvc.model.posting import CommentToWrite, ContextQuery, KeyUse, PostingContext, Written
from commentsvc.store import sites
from commentsvc.store.comments import comment_from, findings_json
from commentsvc.store.events import event_from

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
IDEMPOTENCY_KEY_CONSTRAINT = "idempotency_keys_pkey"


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
                   u.email_verified, coalesce(st.approved, 0) AS approved, coalesce(st.rejected, 0) AS rejected,
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
                   k.request_hash, k.comment_id AS key_comment_id, k.created_at < now() - $8::interval AS key_expired,
                   (SELECT sa.site_id FROM sso_accounts sa WHERE sa.user_id = u.id) AS home_site_id
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
            row["account_created_at"],
            row["approved"],
            row["rejected"],
            row["recent"],
            row["same_text"],
            ban,
            row["email_verified"],
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
    return PostingContext(sites.site_from(row), standing, article, parent, key_use, row["home_site_id"])


# What fails one statement of a batch because of one of its comments (not PostgreSQL out of reach).
_ONE_COMMENT_FAILED = (asyncpg.PostgresError, RolledBack)


async def insert_each(
    conn: asyncpg.Connection, rows: Sequence[CommentToWrite]
) -> list[Written | None | Exception]:
    """``insert``, and when one comment fails the statement (an Idempotency-Key used twice, a
    deadlock) each written on its own, so that only that one's poster sees its error. A comment
    whose Idempotency-Key a concurrent request used meanwhile is not written (None, as for a
    changed context): read again, its poster is answered with that request's comment."""
    try:
        return list(await insert(conn, rows))
    except _ONE_COMMENT_FAILED as exc:
        if len(rows) == 1:
            return [_failed(exc)]
    written: list[Written | None | Exception] = []
    for row in rows:
        try:
            written += await insert(conn, [row])
        except _ONE_COMMENT_FAILED as exc:
            written.append(_failed(exc))
    return written


def _failed(exc: Exception) -> Exception | None:
    key_taken = (
        isinstance(exc, asyncpg.UniqueViolationError) and exc.constraint_name == IDEMPOTENCY_KEY_CONSTRAINT
    )
    return None if key_taken else exc


async def insert(conn: asyncpg.Connection, rows: Sequence[CommentToWrite]) -> list[Written | None]:
    """Write the comments in one statement (one transaction, one commit), each with what goes
    with it: its article on the article's first comment, the moderation item of a held comment,
    the Idempotency-Key (the public count and the author's standing follow in the database).
    A comment whose context changed since it was read (article locked or created, author banned,
    comment replied to removed) is not written: None in its place. One Idempotency-Key already
    used by a concurrent request fails the statement (UniqueViolationError), as does a deadlock
    (RolledBack): ``insert_each`` sees to both.

    The standings and counts move in one trigger for the whole statement (sql/0006), which
    takes the authors' standings, then the articles, each in order: concurrent batches, and a
    batch and a moderator's decision (its author's standing, then its article), cannot deadlock."""
    result = await conn.fetch(
        """WITH arg AS (
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                                     $7::bigint[], $8::bigint[], $9::smallint[], $10::text[], $11::bigint[],
                                     $12::text[], $13::text[], $14::bytea[], $15::bytea[], $16::text[], $17::text[],
                                     $18::bytea[], $21::jsonb[])
                    WITH ORDINALITY AS arg (site_id, article_key, article_title, article_url, article_id, replied_to,
                                           parent_id, root_id, depth, status, author_id, body, body_html, client_hash,
                                           body_hash, held_because, idempotency_key, request_hash, held_findings, n)),
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
                                      client_hash, body_hash, held_because, held_findings)
                OVERRIDING SYSTEM VALUE
                SELECT comment_id, target_article_id, parent_id, root_id, depth, status, author_id, body, body_html,
                       client_hash, body_hash, held_because, held_findings
                FROM ready ORDER BY author_id, n
                RETURNING *),
            held AS (
                INSERT INTO moderation_items (site_id, comment_id, kind)
                SELECT target_site_id, comment_id, 'held' FROM ready WHERE held_because IS NOT NULL),
            kept AS (
                INSERT INTO idempotency_keys (user_id, key, request_hash, comment_id)
                SELECT author_id, idempotency_key, request_hash, comment_id FROM ready
                WHERE idempotency_key IS NOT NULL ORDER BY author_id, n),
            e AS (
                -- Its event (the data as model.events.CommentChange has it).
                INSERT INTO events (type, site_id, article_id, stream, data)
                SELECT $19, target_site_id, target_article_id, $20 || target_article_id,
                       jsonb_build_object('id', comment_id, 'parent_id', parent_id, 'status', status)
                FROM ready ORDER BY n
                RETURNING id, type, site_id, occurred_at, data, (data->>'id')::bigint AS comment_id)
            SELECT ready.n, c.id, c.article_id, c.parent_id, c.root_id, c.depth, c.status, c.author_id,
                   u.username AS author_username, u.display_name AS author_display_name, c.body,
                   c.body_html, c.created_at, c.edited_at, c.score, 0 AS my_vote, c.moderation_reason,
                   NULL AS appeal, NULL AS appeal_reason, c.pinned,
                   e.id AS event_id, e.type AS event_type, e.site_id AS event_site_id, s.slug AS event_site,
                   ready.article_key AS event_article, e.occurred_at AS event_occurred_at,
                   e.data::text AS event_data
            FROM c JOIN ready ON ready.comment_id = c.id LEFT JOIN users u ON u.id = c.author_id
            JOIN e ON e.comment_id = c.id JOIN sites s ON s.id = e.site_id""",
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
        EventType.COMMENT_CREATED.value,
        ARTICLE_STREAM,
        [findings_json(row.held_findings) for row in rows],
    )
    written = {record["n"]: Written(comment_from(record), event_from(record, "event_")) for record in result}
    return [written.get(n) for n in range(1, len(rows) + 1)]


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


async def forget_expired_key(conn: asyncpg.Connection, user_id: int, key: str) -> None:
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at < now() - $3::interval",
        user_id,
        key,
        IDEMPOTENCY_KEY_LIFETIME,
    )
