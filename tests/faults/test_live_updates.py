"""Live updates between real processes: two instances of two workers on one database and Redis,
a stream resumed after the events it missed, Redis restarted empty under open streams, and a
shutdown that streams do not hold up."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import httpx

from tests.builders import (
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)
from tests.faults.conftest import database
from tests.live_streams import listening
from tests.served import serve, serving


async def test_a_comment_posted_through_one_instance_is_announced_on_every_stream_of_the_other(
    service_settings,
):
    key, held_key = unique_name("article"), unique_name("article")
    with contextlib.ExitStack() as instances:
        # Started side by side: each takes seconds.
        first_url, second_url = await asyncio.gather(
            *(asyncio.to_thread(instances.enter_context, serve(service_settings)) for _ in range(2))
        )
        async with httpx.AsyncClient(base_url=first_url) as first, database(service_settings) as db:
            site, pre = await make_site(db), await make_site(db, moderation="pre")
            author = await register(first)
            moderator = await make_moderator(first, db, pre)
            opening = await post_comment(first, author, site, key)
            held = await post_comment(first, author, pre, held_key)
            assert held["status"] == "pending"
            # Four streams on the other instance (its two workers hold some each), and the held
            # article's on both.
            async with (
                listening(second_url, site, key) as a,
                listening(second_url, site, key) as b,
                listening(second_url, site, key) as c,
                listening(second_url, site, key) as d,
                listening(second_url, pre, held_key) as e,
                listening(first_url, pre, held_key) as f,
            ):
                posted_at = time.monotonic()
                reply = await post_comment(first, author, site, key, parent_id=opening["id"])
                for stream in (a, b, c, d):
                    await stream.heard("comment", id=reply["id"], parent_id=opening["id"])
                    await stream.heard("count", comment_count=2)
                assert time.monotonic() - posted_at < 1.0

                # Held: never announced; approved: announced, and the first comment heard.
                later = await post_comment(first, author, pre, held_key)
                assert later["status"] == "pending"
                items = await moderation_queue(first, pre, moderator)
                item = next(i for i in items if i["comment"]["id"] == later["id"])
                await decide(first, moderator, item["item_id"], action="approve")
                for stream in (e, f):
                    await stream.heard("comment", id=later["id"], parent_id=None)
                    await stream.heard("count", comment_count=1)
                    assert stream.comments() == [later["id"]]


async def test_a_stream_resumed_with_its_last_event_id_gets_exactly_what_it_missed(service_settings):
    key = unique_name("article")
    with serve(service_settings, workers=1) as url:
        async with httpx.AsyncClient(base_url=url) as client, database(service_settings) as db:
            site = await make_site(db)
            author = await register(client)
            first = await post_comment(client, author, site, key)
            async with listening(url, site, key) as stream:
                seen = await post_comment(client, author, site, key)
                await stream.heard("count", comment_count=2)
                last_id = stream.last_id
            missed = [await post_comment(client, author, site, key) for _ in range(2)]
            removed = await client.delete(f"/api/v1/comments/{first['id']}", headers=author.auth)
            assert removed.status_code == 204, removed.text
            async with listening(url, site, key, last_event_id=last_id) as resumed:
                await resumed.heard("count", comment_count=3)
                assert resumed.comments() == [c["id"] for c in missed]
                assert resumed.counts() == [3]
                # Then live as before.
                after = await post_comment(client, author, site, key)
                await resumed.heard("comment", id=after["id"])
                assert resumed.comments() == [*(c["id"] for c in missed), after["id"]]
            assert seen["id"] not in resumed.comments()


async def test_streams_open_while_redis_restarts_empty_miss_nothing(service_settings, backing_servers):
    key = unique_name("article")
    with serve(service_settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client, database(service_settings) as db:
            site = await make_site(db)
            author = await register(client)
            await post_comment(client, author, site, key)
            async with listening(url, site, key) as one, listening(url, site, key) as two:
                await backing_servers.stop(backing_servers.redis)
                during = await post_comment(client, author, site, key)
                await backing_servers.restart_redis_empty()
                for stream in (one, two):
                    # From the outbox, once the subscription is back (its backoff: seconds at most).
                    await stream.heard("comment", seconds=10, id=during["id"])
                after = await post_comment(client, author, site, key)
                for stream in (one, two):
                    # Published at commit, or, if that met a connection of before the restart, by
                    # the dispatcher's retry a second or two later.
                    await stream.heard("comment", seconds=10, id=after["id"])
                    assert stream.comments() == [during["id"], after["id"]]
                    assert stream.counts()[-1] == 3


async def test_streams_past_the_cap_are_refused_and_shutdown_ends_the_rest_at_once(service_settings):
    key = unique_name("article")
    grace = 20
    with serving(
        service_settings,
        ["--workers", "1", "--grace-seconds", str(grace)],
        COMMENTSVC_LIVE_MAX_PER_ADDRESS="2",
    ) as served:
        async with httpx.AsyncClient(base_url=served.url) as client, database(service_settings) as db:
            site = await make_site(db)
            # The site's pages may open it (CORS as for the other widget reads), and read its refusals.
            page = {"Origin": "https://news.example"}
            unknown = await client.get(f"/api/v1/sites/{site}/live", params={"article": key}, headers=page)
            assert unknown.status_code == 404, unknown.text
            assert unknown.headers["access-control-allow-origin"] == "https://news.example"
            await post_comment(client, await register(client), site, key)
            async with listening(served.url, site, key) as one, listening(served.url, site, key) as two:
                refused = await client.get(
                    f"/api/v1/sites/{site}/live", params={"article": key}, headers=page
                )
                assert refused.status_code == 429, refused.text
                assert refused.json()["code"] == "rate_limited"
                assert refused.headers["retry-after"]
                assert "Retry-After" in refused.headers["access-control-expose-headers"]
                stopping = time.monotonic()
                served.process.send_signal(signal.SIGTERM)
                for stream in (one, two):
                    await asyncio.wait_for(stream.ended.wait(), 5)
                assert await asyncio.to_thread(served.process.wait, grace) == 0
                assert time.monotonic() - stopping < grace / 4
