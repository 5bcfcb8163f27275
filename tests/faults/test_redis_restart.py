"""Redis restarts empty under a running service: the moderation queue, the caches and the
rate limits are rebuilt, and nothing decided or stale comes back."""

from __future__ import annotations

import asyncio
import dataclasses

from commentsvc.config import RateLimit
from tests.builders import (
    decide,
    eventually,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    unique_name,
    waiting_on_locks,
)
from tests.faults.conftest import checked_client, database, ready
from tests.faults.test_redis_down import count, visible_ids


async def test_after_an_empty_restart_the_queue_holds_exactly_the_undecided_items(
    service_settings, backing_servers
):
    article = unique_name("article")
    async with checked_client(service_settings) as client:
        async with database(service_settings) as db:
            site = await make_site(db, moderation="pre")
            moderator = await make_moderator(client, db, site)
        author = await register(client)
        held = [await post_comment(client, author, site, article) for _ in range(4)]
        items = await moderation_queue(client, site, moderator)
        assert [i["comment"]["id"] for i in items] == [c["id"] for c in held]
        await decide(client, moderator, items[0]["item_id"], action="approve")
        await decide(client, moderator, items[1]["item_id"], action="reject", reason="hors sujet")
        assert await visible_ids(client, site, article) == [held[0]["id"]]
        assert await count(client, site, article) == 1

        await backing_servers.restart_redis_empty()
        await eventually(lambda: ready(client), "/readyz says ready after the restart")

        # The claims went with Redis: the undecided items are handed out again, and only they.
        again = await moderation_queue(client, site, moderator)
        assert [i["comment"]["id"] for i in again] == [c["id"] for c in held[2:]]
        assert await visible_ids(client, site, article) == [held[0]["id"]]
        assert await count(client, site, article) == 1
        await decide(client, moderator, again[0]["item_id"], action="approve")
        assert await visible_ids(client, site, article) == [held[0]["id"], held[2]["id"]]
        assert await count(client, site, article) == 2


async def test_after_an_empty_restart_limits_are_counted_in_redis_again(service_settings, backing_servers):
    limited = dataclasses.replace(
        service_settings, rate_limits={**service_settings.rate_limits, "account": RateLimit(4, 60)}
    )
    async with checked_client(limited) as first, checked_client(limited) as second:
        reader = await register(first)
        before = [(await first.get("/api/v1/me", headers=reader.auth)).status_code for _ in range(5)]
        assert before == [200] * 4 + [429]

        await backing_servers.restart_redis_empty()
        await eventually(lambda: ready(first), "/readyz says ready after the restart")
        await eventually(lambda: ready(second), "/readyz says ready after the restart")

        # The counters started afresh, shared by both processes: not each process on its own.
        after = [
            (await app.get("/api/v1/me", headers=reader.auth)).status_code
            for app in (first, second, first, second, first)
        ]
        assert after == [200] * 4 + [429]


async def test_a_page_read_across_the_restart_is_never_served_stale(service_settings, backing_servers):
    article = unique_name("article")
    async with checked_client(service_settings) as client:
        async with database(service_settings) as db:
            site = await make_site(db)
        author = await register(client)
        first = await post_comment(client, author, site, article)
        async with database(service_settings) as db:
            # An anonymous reader's page is being computed (from PostgreSQL, held up here) while
            # Redis restarts: it was asked for under the generation of the Redis that is gone.
            async with db.transaction():
                await db.execute("LOCK TABLE comments IN ACCESS EXCLUSIVE MODE")
                reading = asyncio.create_task(read_thread(client, site, article))
                await eventually(lambda: waiting_on_locks(db), "the read waits for the table")
                await backing_servers.restart_redis_empty()
                await eventually(lambda: ready(client), "/readyz says ready after the restart")
        assert [c["id"] for c in (await reading)["comments"]] == [first["id"]]

        second = await post_comment(client, author, site, article)
        assert await visible_ids(client, site, article) == [first["id"], second["id"]]
        third = await post_comment(client, author, site, article)
        assert await visible_ids(client, site, article) == [first["id"], second["id"], third["id"]]
