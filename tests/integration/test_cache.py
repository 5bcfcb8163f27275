"""The generational page cache, as two worker processes would share it: each keeps the pages it
served lately, Redis holds the generations (real Redis, each test its own scope)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from commentsvc.kv.batch import Batched
from commentsvc.kv.cache import (
    ENTRY_TTL_SECONDS,
    GENERATION_TTL_SECONDS,
    GenerationalCache,
    LocalPage,
    LocalPages,
)
from commentsvc.kv.client import create_client
from commentsvc.kv.keys import Keys

_scopes = itertools.count(1)


@pytest.fixture
def scope() -> str:
    return f"test-scope-{next(_scopes)}"


class Source:
    """What PostgreSQL would answer: a version that changes, and how often it was asked."""

    def __init__(self) -> None:
        self.version = 1
        self.computed = 0

    async def page(self) -> bytes:
        self.computed += 1
        return f"v{self.version}".encode()


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
