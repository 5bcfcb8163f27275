"""Redis stops while readers read, post and sign in, then comes back with its data."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import httpx

from commentsvc.config import RateLimit, Settings
from tests.builders import (
    PASSWORD,
    Reader,
    eventually,
    flatten,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    registration,
    unique_name,
)
from tests.faults.conftest import checked_client, database, ready

# While Redis is away each process limits sign-in and registration on its own, at half these.
LOGIN = RateLimit(6, 60)
REGISTER = RateLimit(6, 3600)


async def visible_ids(client: httpx.AsyncClient, site: str, article: str) -> list[int]:
    return [c["id"] for c in flatten((await read_thread(client, site, article))["comments"])]


async def count(client: httpx.AsyncClient, site: str, article: str) -> int:
    response = await client.get(f"/api/v1/sites/{site}/counts", params={"article": article})
    assert response.status_code == 200, response.text
    return response.json()[article]


class Scene(NamedTuple):
    """A site holding comments with "promo" for moderation, its moderator, an author, and an
    article with the author's first comment."""

    site: str
    moderator: Reader
    author: Reader
    article: str
    first: dict


async def scene(client: httpx.AsyncClient, settings: Settings) -> Scene:
    async with database(settings) as db:
        site = await make_site(db, blocked_words=["promo"])
        moderator = await make_moderator(client, db, site)
    author, article = await register(client), unique_name("article")
    first = await post_comment(client, author, site, article)
    assert await visible_ids(client, site, article) == [first["id"]]
    return Scene(site, moderator, author, article, first)


async def test_without_redis_readers_read_post_and_sign_in_and_all_catches_up_when_it_returns(
    service_settings, backing_servers
):
    settings = dataclasses.replace(
        service_settings, rate_limits={**service_settings.rate_limits, "login": LOGIN, "register": REGISTER}
    )
    async with checked_client(settings) as client:
        site, moderator, author, article, first = await scene(client, settings)
        # Anonymous readers' page and counts are cached now, in a Redis that keeps them on disk.
        assert await count(client, site, article) == 1

        await backing_servers.stop_redis_keeping_data()

        readiness = await client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json() == {"status": "unavailable", "postgres": "ok", "redis": "unreachable"}
        published = await post_comment(client, author, site, article)
        held = await post_comment(client, author, site, article, "Une promo à ne pas manquer")
        assert (published["status"], held["status"]) == ("approved", "pending")
        assert await visible_ids(client, site, article) == [first["id"], published["id"]]
        assert await count(client, site, article) == 2
        sign_in = {"login": author.username, "password": PASSWORD}
        logins = [await client.post("/api/v1/auth/login", json=sign_in) for _ in range(LOGIN.count)]
        assert [r.status_code for r in logins] == [200] * 3 + [429] * 3
        assert int(logins[-1].headers["retry-after"]) >= 1
        registrations = [await client.post("/api/v1/auth/register", json=registration()) for _ in range(4)]
        assert [r.status_code for r in registrations] == [201] * 3 + [429]
        refused = await client.get(f"/api/v1/sites/{site}/moderation/queue", headers=moderator.auth)
        assert refused.status_code == 503

        await backing_servers.start(backing_servers.redis)

        await eventually(lambda: ready(client), "/readyz says ready once Redis is back")
        # What was cached before the outage is back in Redis, and stale: never served.
        assert await visible_ids(client, site, article) == [first["id"], published["id"]]
        assert await count(client, site, article) == 2
        assert [i["comment"]["id"] for i in await moderation_queue(client, site, moderator)] == [held["id"]]
