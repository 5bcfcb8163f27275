"""Two `commentsvc serve` instances on one PostgreSQL and one Redis, as two pods behind a
balancer: what is posted on one is read on the other within a second, a rate limit counts the
requests of both, and a moderator's claim on one is never handed out by the other."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from commentsvc.config import Settings
from tests.builders import (
    eventually,
    make_moderator,
    make_site,
    post_comment,
    read_thread,
    register,
    unique_name,
)
from tests.conftest import settings_for_tests
from tests.served import serve

POSTS_PER_USER = 3
# Each moderator's claim: together they can take every held comment, neither alone.
LIMIT = 5


@pytest.fixture(scope="module")
def two_instances(
    server_settings: Settings, test_database: str, redis_prefix: str, tmp_path_factory
) -> Iterator[list[str]]:
    settings = settings_for_tests(server_settings, test_database, redis_prefix)
    # As every pod of a deployment: one public URL (the tokens' issuer) and one secret.
    shared = {
        "COMMENTSVC_PUBLIC_URL": settings.public_url,
        "COMMENTSVC_RATE_LIMIT_POST_USER": f"{POSTS_PER_USER}/1h",
    }
    logs = tmp_path_factory.mktemp("instances")
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(2) as starting:
        started = [
            starting.submit(
                stack.enter_context,
                serve(settings, workers=1, log=logs / f"instance{n}.log", **shared),
            )
            for n in range(2)
        ]
        yield [instance.result() for instance in started]


@contextlib.asynccontextmanager
async def clients(urls: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(base_url=url)) for url in urls]


async def test_a_post_on_one_instance_is_read_on_the_other_within_a_second(two_instances, db):
    site, article = await make_site(db), unique_name("article")
    async with clients(two_instances) as (one, other):
        reader = await register(one)
        first = await post_comment(one, reader, site, article)
        # The other instance has the page as it was, in Redis and in its own memory.
        for _ in range(2):
            assert [c["id"] for c in (await read_thread(other, site, article))["comments"]] == [first["id"]]
        second = await post_comment(one, reader, site, article)

        async def shown_there() -> bool:
            page = await read_thread(other, site, article)
            return [c["id"] for c in page["comments"]] == [first["id"], second["id"]]

        await eventually(shown_there, "the post read on the other instance", seconds=1)


async def test_a_rate_limit_counts_the_requests_of_both_instances(two_instances, db):
    site, article = await make_site(db), unique_name("article")
    async with clients(two_instances) as instances:
        reader = await register(instances[0])
        statuses = []
        for n in range(POSTS_PER_USER + 1):
            response = await instances[n % 2].post(
                f"/api/v1/sites/{site}/comments",
                json={"article": article, "body": f"Encore {n}"},
                headers=reader.auth,
            )
            statuses.append(response.status_code)
    assert statuses == [201] * POSTS_PER_USER + [429]


async def test_a_moderation_claim_on_one_instance_is_never_handed_out_by_the_other(two_instances, db):
    site, article = await make_site(db, moderation="pre"), unique_name("article")
    async with clients(two_instances) as (one, other):
        authors = [await register(one) for _ in range(4)]
        held = [await post_comment(one, author, site, article) for author in authors for _ in range(2)]
        assert {comment["status"] for comment in held} == {"pending"}
        first, second = await make_moderator(one, db, site), await make_moderator(one, db, site)

        async def claim(client: httpx.AsyncClient, moderator) -> list[int]:
            response = await client.get(
                f"/api/v1/sites/{site}/moderation/queue", params={"limit": LIMIT}, headers=moderator.auth
            )
            assert response.status_code == 200, response.text
            return [item["comment"]["id"] for item in response.json()["items"]]

        # Claimed at the same moment on both, again and again (each renews their own) until the
        # queue is shared out: right after its first rebuild, a claim may come back short.
        mine: set[int] = set()
        theirs: set[int] = set()
        for _ in range(5):
            got_mine, got_theirs = await asyncio.gather(claim(one, first), claim(other, second))
            mine |= set(got_mine)
            theirs |= set(got_theirs)
            if len(mine | theirs) == len(held):
                break
    assert not mine & theirs
    assert mine | theirs == {comment["id"] for comment in held}
