"""Migrations apply once, in order, each in a transaction, even when instances race."""

from __future__ import annotations

import asyncio
import itertools
import re

import asyncpg
import pytest

from commentsvc.i18n import LANGUAGES
from commentsvc.store.migrations import Migration, load_migrations, migrate
from tests.conftest import RUN_ID, empty_database

_serial = itertools.count()


def fresh(server_settings):
    return empty_database(server_settings, f"commentsvc_test_{RUN_ID}_m{next(_serial)}")


async def applied_versions(conn: asyncpg.Connection) -> list[int]:
    return [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]


async def test_migrating_twice_applies_everything_once(server_settings):
    async with fresh(server_settings) as url:
        conn = await asyncpg.connect(url)
        try:
            first = await migrate(conn)
            second = await migrate(conn)
            assert [m.version for m in first] == [m.version for m in load_migrations()]
            assert second == []
            assert await applied_versions(conn) == [m.version for m in load_migrations()]
        finally:
            await conn.close()


async def test_concurrent_migrations_do_not_race(server_settings):
    async with fresh(server_settings) as url:
        conns = [await asyncpg.connect(url) for _ in range(4)]
        try:
            results = await asyncio.gather(*(migrate(conn) for conn in conns))
            applied = [m.version for result in results for m in result]
            assert sorted(applied) == [m.version for m in load_migrations()]
            assert await applied_versions(conns[0]) == [m.version for m in load_migrations()]
        finally:
            for conn in conns:
                await conn.close()


async def test_a_failing_migration_leaves_no_trace(server_settings):
    broken = Migration(9999, "9999_broken", "CREATE TABLE half_done (id int); SELECT 1 / 0;")
    async with fresh(server_settings) as url:
        conn = await asyncpg.connect(url)
        try:
            with pytest.raises(asyncpg.DivisionByZeroError):
                await migrate(conn, [*load_migrations(), broken])
            assert 9999 not in await applied_versions(conn)
            assert await conn.fetchval("SELECT to_regclass('half_done')") is None
            # The lock was released: the next run proceeds.
            assert await migrate(conn) == []
        finally:
            await conn.close()


def test_migration_files_are_numbered_in_order():
    versions = [m.version for m in load_migrations()]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


async def test_scores_counting_the_votes_of_erased_accounts_are_repaired(server_settings):
    """Until 0010 an erased account's votes went with it but stayed in the scores."""
    async with fresh(server_settings) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, [m for m in load_migrations() if m.version < 10])
            author, stays, erased = [
                await conn.fetchval(
                    """INSERT INTO users (username, email, display_name, password_hash)
                       VALUES ($1, $1 || '@example.org', $1, 'x') RETURNING id""",
                    name,
                )
                for name in ("author", "stays", "erased")
            ]
            site = await conn.fetchval("INSERT INTO sites (slug, name) VALUES ('s', 'S') RETURNING id")
            article = await conn.fetchval(
                "INSERT INTO articles (site_id, key) VALUES ($1, 'a') RETURNING id", site
            )
            comment = await conn.fetchval(
                """INSERT INTO comments (article_id, depth, status, author_id, body, body_html, score)
                   VALUES ($1, 0, 'approved', $2, 'x', '<p>x</p>', 2) RETURNING id""",
                article,
                author,
            )
            await conn.execute(
                "INSERT INTO votes (comment_id, user_id, value) VALUES ($1, $2, 1), ($1, $3, 1)",
                comment,
                stays,
                erased,
            )
            await conn.execute("DELETE FROM users WHERE id = $1", erased)
            assert await conn.fetchval("SELECT score FROM comments WHERE id = $1", comment) == 2
            await migrate(conn)
            assert await conn.fetchval("SELECT score FROM comments WHERE id = $1", comment) == 1
        finally:
            await conn.close()


async def test_comments_written_before_0022_are_found_by_the_search(server_settings):
    """0022 gives the rows already there their site and their words, read in their site's language."""
    async with fresh(server_settings) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, [m for m in load_migrations() if m.version < 22])
            site = await conn.fetchval("INSERT INTO sites (slug, name) VALUES ('s', 'S') RETURNING id")
            article = await conn.fetchval(
                "INSERT INTO articles (site_id, key) VALUES ($1, 'a') RETURNING id", site
            )
            comment = await conn.fetchval(
                """INSERT INTO comments (article_id, depth, status, body, body_html)
                   VALUES ($1, 0, 'approved', 'Une ÉLÈVE brillante', '<p>Une ÉLÈVE brillante</p>') RETURNING id""",
                article,
            )
            await migrate(conn)
            found = await conn.fetchval(
                """SELECT id FROM comments
                   WHERE site_id = $1 AND search_vector @@ websearch_to_tsquery(comment_search_config('fr'), 'eleve')""",
                site,
            )
            assert found == comment
        finally:
            await conn.close()


async def test_the_languages_an_account_may_have_are_those_the_service_speaks(db):
    """sql/0029 lists them in a check; commentsvc.i18n.LANGUAGES is the list the service reads."""
    check = await db.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'users_language_check'"
    )
    assert sorted(re.findall(r"'(\w+)'", check)) == sorted(LANGUAGES)
