"""SQL for imports: the file's records are copied into temporary tables of the import's
transaction (never held in memory), then merged into articles, guests and comments by a few
set-based statements."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from commentsvc.model.imports import Source

THREAD_COLUMNS = ("source_id", "key", "title", "url", "created_at")
AUTHOR_COLUMNS = ("key", "username", "name", "email", "url")
COMMENT_COLUMNS = (
    "ord", "source_id", "thread_id", "parent_id", "author_key",
    "body", "body_html", "created_at", "status",
)  # fmt: skip


async def stage(conn: asyncpg.Connection) -> None:
    """The import's temporary tables, dropped with its transaction."""
    await conn.execute(
        """CREATE TEMP TABLE import_threads (
               source_id text NOT NULL, key text, title text, url text, created_at timestamptz
           ) ON COMMIT DROP;
           CREATE TEMP TABLE import_authors (
               key text NOT NULL, username text NOT NULL, name text NOT NULL, email text, url text
           ) ON COMMIT DROP;
           CREATE TEMP TABLE import_comments (
               ord bigint NOT NULL, source_id text NOT NULL, thread_id text NOT NULL,
               parent_id text, author_key text, body text NOT NULL, body_html text NOT NULL,
               created_at timestamptz NOT NULL, status text NOT NULL
           ) ON COMMIT DROP"""
    )


async def copy_threads(conn: asyncpg.Connection, rows: Iterable[tuple]) -> None:
    await conn.copy_records_to_table("import_threads", records=rows, columns=THREAD_COLUMNS)


async def copy_authors(conn: asyncpg.Connection, rows: Iterable[tuple]) -> None:
    await conn.copy_records_to_table("import_authors", records=rows, columns=AUTHOR_COLUMNS)


async def copy_comments(conn: asyncpg.Connection, rows: Iterable[tuple]) -> None:
    await conn.copy_records_to_table("import_comments", records=rows, columns=COMMENT_COLUMNS)


async def merge_articles(conn: asyncpg.Connection, site_id: int) -> int:
    """One article per key of the file's threads (several threads may share a key: their comments
    meet there); an existing article only gains a title or URL it lacked. Returns how many were
    created."""
    return await conn.fetchval(
        """WITH threads AS (
               SELECT DISTINCT ON (key) key, left(title, 300) AS title,
                      CASE WHEN length(url) <= 2048 THEN url END AS url, created_at
               FROM import_threads WHERE key IS NOT NULL ORDER BY key, created_at NULLS LAST),
           merged AS (
               INSERT INTO articles (site_id, key, title, url, created_at)
               SELECT $1, key, title, url, coalesce(created_at, now()) FROM threads
               ON CONFLICT (site_id, key) DO UPDATE
                   SET title = coalesce(articles.title, excluded.title),
                       url = coalesce(articles.url, excluded.url)
                   WHERE articles.title IS NULL OR articles.url IS NULL
               RETURNING xmax = 0 AS created)
           SELECT count(*) FILTER (WHERE created) FROM merged""",
        site_id,
    )


async def select_new_comments(conn: asyncpg.Connection, site_id: int, source: Source) -> dict[str, int]:
    """Sort the staged comments: those to create go to ``import_new`` with an id of their own;
    returns how many of the others were left out, by reason (``thread``, ``key``, ``duplicate``,
    and ``already`` for those an earlier run imported)."""
    await conn.execute(
        """CREATE TEMP TABLE import_new (
               LIKE import_comments, article_id bigint, id bigint, parent_comment_id bigint, left_out text
           ) ON COMMIT DROP"""
    )
    await conn.execute(
        """WITH firsts AS (
               SELECT DISTINCT ON (source_id) * FROM import_comments ORDER BY source_id, ord),
           threads AS (SELECT DISTINCT ON (source_id) source_id, key FROM import_threads ORDER BY source_id)
           INSERT INTO import_new
           SELECT f.*, a.id, NULL, NULL,
                  CASE WHEN t.source_id IS NULL THEN 'thread'
                       WHEN t.key IS NULL THEN 'key'
                       WHEN i.comment_id IS NOT NULL THEN 'already' END
           FROM firsts f
           LEFT JOIN threads t ON t.source_id = f.thread_id
           LEFT JOIN articles a ON a.site_id = $1 AND a.key = t.key
           LEFT JOIN imported_comments i ON i.site_id = $1 AND i.source = $2 AND i.source_id = f.source_id""",
        site_id,
        source.value,
    )
    rows = await conn.fetch(
        """SELECT left_out, count(*)::int AS n FROM import_new WHERE left_out IS NOT NULL GROUP BY left_out
           UNION ALL
           SELECT 'duplicate', ((SELECT count(*) FROM import_comments) - (SELECT count(*) FROM import_new))::int"""
    )
    await conn.execute(
        """DELETE FROM import_new WHERE left_out IS NOT NULL;
           UPDATE import_new SET id = nextval(pg_get_serial_sequence('comments', 'id'));
           CREATE INDEX ON import_new (source_id);
           CREATE INDEX ON import_new (parent_comment_id)"""
    )
    return {row["left_out"]: row["n"] for row in rows if row["n"]}


async def link_parents(conn: asyncpg.Connection, site_id: int, source: Source) -> int:
    """Each new reply's parent: another new comment, or one an earlier run imported, in the same
    article. Returns how many name a parent found in neither (they become top-level comments)."""
    await conn.execute(
        """UPDATE import_new n SET parent_comment_id = p.id
           FROM import_new p WHERE p.source_id = n.parent_id AND p.article_id = n.article_id"""
    )
    await conn.execute(
        """UPDATE import_new n SET parent_comment_id = c.id
           FROM imported_comments i JOIN comments c ON c.id = i.comment_id
           WHERE n.parent_comment_id IS NULL AND n.parent_id IS NOT NULL
             AND i.site_id = $1 AND i.source = $2 AND i.source_id = n.parent_id
             AND c.article_id = n.article_id""",
        site_id,
        source.value,
    )
    return await conn.fetchval(
        "SELECT count(*) FROM import_new WHERE parent_id IS NOT NULL AND parent_comment_id IS NULL"
    )


async def merge_guests(conn: asyncpg.Connection, site_id: int, source: Source) -> int:
    """A guest for each author of the new comments not yet one on the site. Returns how many."""
    return await conn.fetchval(
        """WITH wanted AS (
               SELECT DISTINCT ON (a.key) a.* FROM import_authors a
               WHERE a.key IN (SELECT author_key FROM import_new)
                 AND NOT EXISTS (SELECT 1 FROM guests g
                                 WHERE g.site_id = $1 AND g.source = $2 AND g.key = a.key)
               ORDER BY a.key),
           made AS (
               INSERT INTO users (username, display_name)
               SELECT username, name FROM wanted
               ON CONFLICT DO NOTHING
               RETURNING id, username),
           guests AS (
               INSERT INTO guests (user_id, site_id, source, key, email, url)
               SELECT made.id, $1, $2, w.key, w.email, w.url FROM made JOIN wanted w USING (username)
               RETURNING 1)
           SELECT count(*) FROM guests""",
        site_id,
        source.value,
    )


async def insert_comments(
    conn: asyncpg.Connection, site_id: int, source: Source
) -> tuple[int, list[tuple[int, int, int]]]:
    """The new comments, parents before replies in one statement, with their moderation items and
    their place in ``imported_comments``. Returns how many, and for each article that gained
    some: its id, how many, and how many of those are held."""
    await conn.execute(
        """CREATE TEMP TABLE import_tree ON COMMIT DROP AS
           WITH RECURSIVE tree AS (
               SELECT n.id, NULL::bigint AS root_id, 0 AS depth
               FROM import_new n WHERE n.parent_comment_id IS NULL
               UNION ALL
               SELECT n.id, coalesce(c.root_id, c.id), c.depth + 1
               FROM import_new n JOIN comments c ON c.id = n.parent_comment_id
               WHERE c.depth < 50
               UNION ALL
               SELECT n.id, coalesce(t.root_id, t.id), t.depth + 1
               FROM tree t JOIN import_new n ON n.parent_comment_id = t.id
               WHERE t.depth < 50)
           SELECT * FROM tree"""
    )
    inserted = await conn.fetch(
        """WITH made AS (
               INSERT INTO comments (id, article_id, parent_id, root_id, depth, status, author_id,
                                     body, body_html, created_at, deleted_at)
               OVERRIDING SYSTEM VALUE
               SELECT n.id, n.article_id, n.parent_comment_id, t.root_id, t.depth, n.status,
                      coalesce(g.claimed_by, g.user_id), n.body, n.body_html, n.created_at,
                      CASE WHEN n.status = 'deleted' THEN n.created_at END
               FROM import_new n JOIN import_tree t USING (id)
               LEFT JOIN guests g ON g.site_id = $1 AND g.source = $2 AND g.key = n.author_key
               RETURNING id, article_id, status),
           items AS (
               INSERT INTO moderation_items (site_id, comment_id, kind)
               SELECT $1, id, 'held' FROM made WHERE status = 'pending'),
           refs AS (
               INSERT INTO imported_comments (site_id, source, source_id, comment_id)
               SELECT $1, $2, n.source_id, made.id FROM made JOIN import_new n USING (id))
           SELECT article_id, count(*)::int AS n, count(*) FILTER (WHERE status = 'pending')::int AS held
           FROM made GROUP BY article_id ORDER BY article_id""",
        site_id,
        source.value,
    )
    return sum(row["n"] for row in inserted), [(row["article_id"], row["n"], row["held"]) for row in inserted]
