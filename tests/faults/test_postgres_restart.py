"""PostgreSQL restarts in the middle of a burst of posts: nothing is lost, nothing doubles."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from commentsvc.store.articles import recount
from tests.builders import Reader, eventually, make_site, read_thread, register, unique_name
from tests.faults.conftest import checked_client, database, ready

POSTS = 200
AUTHORS = 8
IN_FLIGHT = 20
# Posts answered before PostgreSQL is told to stop; the rest are sent while it stops and starts.
BEFORE_RESTART = 40


async def test_posts_during_a_postgres_restart_succeed_or_503_and_retries_make_exactly_one_each(
    service_settings, backing_servers
):
    article = unique_name("article")
    async with checked_client(service_settings) as client:
        async with database(service_settings) as db:
            site = await make_site(db)
        authors = [await register(client) for _ in range(AUTHORS)]
        burst = [(authors[i % AUTHORS], f"burst-{i}-{uuid.uuid4().hex[:8]}") for i in range(POSTS)]
        slots, answered, restart_begun = asyncio.Semaphore(IN_FLIGHT), asyncio.Event(), asyncio.Event()
        done = 0

        async def post(author: Reader, key: str, gate: asyncio.Event | None) -> httpx.Response:
            nonlocal done
            if gate is not None:
                await gate.wait()
            async with slots:
                response = await client.post(
                    f"/api/v1/sites/{site}/comments",
                    json={"article": article, "body": f"Message {key}"},
                    headers={**author.auth, "Idempotency-Key": key},
                )
            done += 1
            if done == BEFORE_RESTART:
                answered.set()
            return response

        posts = [
            asyncio.create_task(post(author, key, restart_begun if i >= BEFORE_RESTART + IN_FLIGHT else None))
            for i, (author, key) in enumerate(burst)
        ]
        await answered.wait()
        stopping = asyncio.create_task(backing_servers.stop(backing_servers.postgres))
        restart_begun.set()
        await stopping
        await backing_servers.start(backing_servers.postgres)
        responses = await asyncio.gather(*posts)

        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {201, 503}, statuses
        assert 503 in statuses, "the restart came after the burst: nothing was tested"
        created = {
            key: r.json()["id"] for (_, key), r in zip(burst, responses, strict=True) if r.status_code == 201
        }

        # Each failed post retried with its key until it is answered: the service, not restarted, recovers.
        deadline = time.monotonic() + 60
        for author, key in burst:
            while key not in created:
                assert time.monotonic() < deadline, "the service never recovered"
                retry = await client.post(
                    f"/api/v1/sites/{site}/comments",
                    json={"article": article, "body": f"Message {key}"},
                    headers={**author.auth, "Idempotency-Key": key},
                )
                if retry.status_code == 201:
                    created[key] = retry.json()["id"]
                else:
                    assert retry.status_code == 503, retry.text
                    await eventually(lambda: ready(client), "PostgreSQL answers the service again")

    async with database(service_settings) as db:
        rows = await db.fetch(
            """SELECT c.id, c.body FROM comments c JOIN articles a ON a.id = c.article_id
               JOIN sites s ON s.id = a.site_id WHERE s.slug = $1 AND a.key = $2""",
            site,
            article,
        )
        assert sorted(f"Message {key}" for key, _ in created.items()) == sorted(row["body"] for row in rows)
        assert {row["id"] for row in rows} == set(created.values())
        assert await recount(db, fix=False) == []
    async with checked_client(service_settings) as client:
        assert (await read_thread(client, site, article))["article"]["comment_count"] == POSTS
