"""Posting's batched statements are planned once per connection, whatever the batches' sizes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from commentsvc.store import comments
from commentsvc.store.pool import create_batches_pool
from tests.builders import make_site, post_comment, register, unique_name

# PostgreSQL tries a plan made for the arguments on the first five runs of a prepared statement.
RUNS = 8


def _new_row(site_id: int, article_id: int, key: str, author_id: int, n: int) -> comments.NewRow:
    body = f"Batch of one, number {n}."
    return comments.NewRow(
        site_id=site_id,
        article_key=key,
        article_title=None,
        article_url=None,
        article_id=article_id,
        replied_to=None,
        parent=None,
        status="approved",
        author_id=author_id,
        body=body,
        body_html=f"<p>{body}</p>",
        client_hash=b"\x00" * 16,
        body_hash=hashlib.sha256(body.encode()).digest(),
        held_because=None,
        idempotency_key=None,
        request_hash=None,
    )


async def test_batches_of_one_reuse_the_generic_plans(client, db, settings):
    site = await make_site(db)
    key = unique_name("article")
    reader = await register(client)
    await post_comment(client, reader, site, key)
    article = await db.fetchrow("SELECT a.id, a.site_id FROM articles a JOIN sites s ON s.id = a.site_id "
                                "WHERE s.slug = $1 AND a.key = $2", site, key)  # fmt: skip
    pool = await create_batches_pool(settings)
    try:
        async with pool.acquire() as conn:
            for n in range(RUNS):
                row = _new_row(article["site_id"], article["id"], key, reader.id, n)
                query = comments.ContextQuery(site, key, reader.id, None, row.body_hash, None)
                [context] = await comments.posting_contexts(conn, [query], timedelta(hours=24))
                assert context is not None and context.article is not None
                [written] = await comments.insert(conn, [row])
                assert written is not None and written.status == "approved"
            plans = await conn.fetch(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'WITH arg AS%' OR statement LIKE 'SELECT q.n,%'"
            )
    finally:
        await pool.close()
    assert len(plans) == 2
    assert all(p["custom_plans"] == 0 and p["generic_plans"] == RUNS for p in plans), [dict(p) for p in plans]
    count = await db.fetchval("SELECT comment_count FROM articles WHERE id = $1", article["id"])
    assert count == RUNS + 1
