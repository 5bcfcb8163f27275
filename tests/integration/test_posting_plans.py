"""Posting's batched statements are planned once per connection, whatever the batches' sizes."""

from __future__ import annotations

from commentsvc.store import posting
from commentsvc.store.pool import create_batches_pool
from tests.builders import make_site, new_row, post_comment, register, unique_name

# PostgreSQL tries a plan made for the arguments on the first five runs of a prepared statement.
RUNS = 8


async def test_batches_of_one_reuse_the_generic_plans(client, db, settings):
    site = await make_site(db)
    key = unique_name("article")
    reader = await register(client)
    await post_comment(client, reader, site, key)
    pool = await create_batches_pool(settings)
    try:
        async with pool.acquire() as conn:
            for n in range(RUNS):
                row = await new_row(conn, site, key, reader, body=f"Batch of one, number {n}.")
                [written] = await posting.insert(conn, [row])
                assert written is not None and written.comment.status == "approved"
            plans = await conn.fetch(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'WITH arg AS%' OR statement LIKE 'SELECT q.n,%'"
            )
    finally:
        await pool.close()
    assert len(plans) == 2
    assert all(p["custom_plans"] == 0 and p["generic_plans"] == RUNS for p in plans), [dict(p) for p in plans]
    count = await db.fetchval("SELECT comment_count FROM articles WHERE key = $1", key)
    assert count == RUNS + 1
