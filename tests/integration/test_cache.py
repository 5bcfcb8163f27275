"""The generational page cache, as two worker processes would share it: each keeps the pages it
served lately, Redis holds the generations (real Redis, each test its own scope)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

import pytest

from commentsvc.kv.batch import Batched
from commentsvc.kv.cache import (
    ENTRY_TTL_SECONDS,
    GENERATION_TTL_SECONDS,
    Computed,
    GenerationalCache,
    LocalPage,
    LocalPages,
)
from commentsvc.kv.client import create_client
from commentsvc.kv.keys import Keys
from tests.builders import make_site, post_comment, read_thread, register, unique_name

_scopes = itertools.count(1)


@pytest.fixture
def scope() -> str:
    return f"test-scope-{next(_scopes)}"


class Source:
    """What PostgreSQL would answer: a version that changes, whether there is anything in it
    (a thread with comments), and how often it was asked."""

    def __init__(self, keep: bool = True) -> None:
        self.version = 1
        self.keep = keep
        self.computed = 0

    async def page(self) -> Computed:
        self.computed += 1
        return Computed(f"v{self.version}".encode(), self.keep)


def worker(redis_client, settings, fresh_seconds: float) -> GenerationalCache:
    return GenerationalCache(
        Batched(redis_client), Keys(settings.redis_prefix), local_fresh_seconds=fresh_seconds
    )


async def test_a_fresh_local_page_costs_no_round_trip_and_a_local_change_shows_at_once(
    redis_client, settings, scope
):
    cache, source = worker(redis_client, settings, fresh_seconds=3600), Source()
    assert await cache.read_through(scope, "p1", source.page) == b"v1"
    assert await cache.read_through(scope, "p1", source.page) == b"v1"
    assert source.computed == 1
    source.version = 2
    await cache.invalidate(scope)
    assert await cache.read_through(scope, "p1", source.page) == b"v2"


async def test_another_process_change_shows_once_the_local_page_is_checked(redis_client, settings, scope):
    # fresh_seconds=0: every read checks the generation, as every read does after a second.
    first, second, source = worker(redis_client, settings, 0), worker(redis_client, settings, 0), Source()
    assert await first.read_through(scope, "p1", source.page) == b"v1"
    assert await second.read_through(scope, "p1", source.page) == b"v1"
    assert source.computed == 1  # the second process found the first one's page in Redis
    assert await first.read_through(scope, "p1", source.page) == b"v1"
    assert source.computed == 1  # same generation: the local page, without the page travelling
    source.version = 2
    await second.invalidate(scope)
    assert await first.read_through(scope, "p1", source.page) == b"v2"


async def test_a_page_read_before_a_local_change_is_not_kept(redis_client, settings, scope):
    cache, source = worker(redis_client, settings, fresh_seconds=3600), Source()

    async def changed_while_computing() -> bytes:
        page = await source.page()
        source.version = 2
        await cache.invalidate(scope)  # a write in this process commits while the read is under way
        return page

    assert await cache.read_through(scope, "p1", changed_while_computing) == b"v1"
    assert await cache.read_through(scope, "p1", source.page) == b"v2"


async def test_redis_restarting_empty_never_brings_back_an_old_generation(redis_client, settings, scope):
    keys = Keys(settings.redis_prefix)
    cache, other, source = worker(redis_client, settings, 0), worker(redis_client, settings, 0), Source()
    await other.invalidate(scope)  # a change before this process read anything: counting from 0 would give 1
    assert await cache.read_through(scope, "p1", source.page) == b"v1"
    # Redis loses everything of this scope, then another process changes it: the generation
    # starts again from Redis' clock, never from a number a process may still hold a page for.
    await redis_client.delete(keys.cache_generation(scope))
    source.version = 2
    await other.invalidate(scope)
    assert await cache.read_through(scope, "p1", source.page) == b"v2"


async def test_generations_expire_so_redis_keeps_none_forever(redis_client, settings, scope):
    generation = Keys(settings.redis_prefix).cache_generation(scope)
    cache, source = worker(redis_client, settings, 0), Source()
    await cache.read_through(scope, "p1", source.page)
    assert 0 < await redis_client.ttl(generation) <= GENERATION_TTL_SECONDS
    await cache.invalidate(scope)
    assert 0 < await redis_client.ttl(generation) <= GENERATION_TTL_SECONDS
    await redis_client.delete(generation)  # expired (or evicted): the next read starts a new one
    source.version = 2
    assert await cache.read_through(scope, "p1", source.page) == b"v2"


async def test_without_redis_every_read_goes_to_the_source(settings, scope):
    dead = create_client(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    try:
        cache, source = worker(dead, settings, fresh_seconds=3600), Source()
        assert await cache.read_through(scope, "p1", source.page) == b"v1"
        source.version = 2
        assert await cache.read_through(scope, "p1", source.page) == b"v2"
        await cache.invalidate(scope)  # logged, not raised
    finally:
        await dead.aclose()


async def test_a_page_with_nothing_in_it_leaves_nothing_in_redis_and_its_first_change_shows_everywhere(
    redis_client, settings, scope
):
    keys = Keys(settings.redis_prefix)
    first, second, source = (
        worker(redis_client, settings, 0),
        worker(redis_client, settings, 0),
        Source(keep=False),
    )
    assert await first.read_through(scope, "p1", source.page) == b"v1"
    assert await second.read_through(scope, "p1", source.page) == b"v1"
    assert not await redis_client.exists(keys.cache_generation(scope))
    assert [key async for key in redis_client.scan_iter(match=keys.cache_entry(scope, "*"))] == []
    source.version, source.keep = 2, True
    await second.invalidate(scope)  # the first comment, written through the second process
    assert await first.read_through(scope, "p1", source.page) == b"v2"
    assert await second.read_through(scope, "p1", source.page) == b"v2"
    assert source.computed == 3  # the second process found the first one's new page in Redis


async def test_a_page_computed_before_a_change_elsewhere_is_not_filed_under_the_new_generation(
    redis_client, settings, scope
):
    first, second, source = worker(redis_client, settings, 0), worker(redis_client, settings, 0), Source()

    async def changed_elsewhere_while_computing() -> Computed:
        page = await source.page()
        source.version = 2
        await second.invalidate(scope)  # another process commits (and bumps) meanwhile
        return page

    assert await first.read_through(scope, "p1", changed_elsewhere_while_computing) == b"v1"
    assert await first.read_through(scope, "p1", source.page) == b"v2"
    assert await second.read_through(scope, "p1", source.page) == b"v2"


def test_local_pages_keep_to_their_byte_budget_least_recently_used_first():
    pages = LocalPages(max_bytes=10, fresh_seconds=1)
    pages.put("a", "1", LocalPage("g", b"1234", checked_at=0))
    pages.put("b", "1", LocalPage("g", b"1234", checked_at=0))
    assert pages.get("a", "1") is not None  # now the most recently used
    pages.put("c", "1", LocalPage("g", b"1234", checked_at=0))
    assert pages.get("b", "1") is None
    assert pages.get("a", "1") is not None and pages.get("c", "1") is not None
    pages.drop("a")
    assert pages.get("a", "1") is None and pages.get("c", "1") is not None


def test_local_pages_nobody_asked_for_in_an_entrys_lifetime_are_let_go():
    pages = LocalPages(max_bytes=1000, fresh_seconds=1)
    pages.put("old", "1", LocalPage("g", b"1234", checked_at=0))
    pages.put("recent", "1", LocalPage("g", b"1234", checked_at=ENTRY_TTL_SECONDS - 1))
    pages.put("new", "1", LocalPage("g", b"1234", checked_at=ENTRY_TTL_SECONDS + 1))
    assert pages.get("old", "1") is None
    assert pages.get("recent", "1") is not None and pages.get("new", "1") is not None


async def test_reads_of_articles_nobody_commented_on_leave_no_redis_keys(client, db, redis_client, settings):
    site = await make_site(db)
    unknown = [unique_name("nobody-commented") for _ in range(1000)]
    for start in range(0, len(unknown), 50):
        threads = await asyncio.gather(
            *(read_thread(client, site, key) for key in unknown[start : start + 50])
        )
        assert all(thread["comments"] == [] for thread in threads)
    left = [key async for key in redis_client.scan_iter(match=f"{settings.redis_prefix}*{site}*", count=1000)]
    assert {key: await redis_client.ttl(key) for key in left} == {}


async def test_an_articles_first_comment_shows_at_once_though_its_empty_page_was_served(client, db):
    site, key = await make_site(db), unique_name("article")
    for _ in range(2):  # the second from this process's own pages
        assert (await read_thread(client, site, key))["comments"] == []
    first = await post_comment(client, await register(client), site, key)
    assert [c["id"] for c in (await read_thread(client, site, key))["comments"]] == [first["id"]]
