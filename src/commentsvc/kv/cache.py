"""A read-through cache with generations: readers remember the generation they
started from, writers bump it after committing, so a page computed from old
data is stored under a key nobody reads any more. PostgreSQL stays the truth;
if Redis fails, reads simply go to PostgreSQL.

Each process also keeps the pages it served lately, with the generation they
belong to: for LOCAL_FRESH_SECONDS it serves them without asking Redis (the
hottest pages then cost no round trip at all), after that one small call
checks the generation and only a changed page travels again. A change made in
this process shows at once; one made in another process within that second."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as redis

from commentsvc.kv.client import UNAVAILABLE_ERRORS
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.cache")

# A missing generation starts from Redis' clock in microseconds rather than from 0, so after Redis
# restarts empty no scope can come back to a generation a process still holds a page for.
_NEW_GENERATION = "local t = redis.call('TIME') return t[1] .. string.format('%06d', t[2])"

# KEYS[1]: the scope's generation. ARGV[1], ARGV[2]: the entry key around the generation; ARGV[3]:
# the generation the caller already has a page for. One round trip: the generation and, if the
# caller's page is not of it, the entry.
_READ = f"""
local function new_generation() {_NEW_GENERATION} end
local generation = redis.call('GET', KEYS[1])
if not generation then
  generation = new_generation()
  redis.call('SET', KEYS[1], generation)
end
if generation == ARGV[3] then return {{generation}} end
return {{generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}}
"""

# KEYS: the generations of the scopes that changed.
_INVALIDATE = f"""
local function new_generation() {_NEW_GENERATION} end
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('INCR', key) else redis.call('SET', key, new_generation()) end
end
"""

# Bounds staleness if an invalidation is ever lost (Redis unreachable just then).
ENTRY_TTL_SECONDS = 60
LOCAL_FRESH_SECONDS = 1.0
LOCAL_MAX_BYTES = 64 * 1024 * 1024


class GenerationalCache:
    def __init__(
        self, client: redis.Redis, keys: Keys, local_fresh_seconds: float = LOCAL_FRESH_SECONDS
    ) -> None:
        self._client = client
        self._keys = keys
        self._read_script = client.register_script(_READ)
        self._invalidate_script = client.register_script(_INVALIDATE)
        self._local_fresh_seconds = local_fresh_seconds
        self._local = LocalPages(LOCAL_MAX_BYTES, local_fresh_seconds)

    async def read_through(self, scope: str, variant: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached entry, or ``compute()`` stored under the generation read before computing it."""
        now = time.monotonic()
        local = self._local.get(scope, variant)
        if local is not None and now - local.checked_at < self._local_fresh_seconds:
            return local.value
        before, after = self._keys.cache_entry_around(scope, variant)
        try:
            reply = await self._read_script(
                keys=[self._keys.cache_generation(scope)],
                args=[before, after, local.generation if local else ""],
            )
        except UNAVAILABLE_ERRORS as exc:
            # Invalidations may be lost while Redis is away: nothing cached is trusted meanwhile.
            log.warning("cache unavailable: %r", exc)
            self._local.drop(scope)
            return await compute()
        generation = reply[0].decode()
        if local is not None and local.generation == generation:
            local.checked_at = now
            return local.value
        value = reply[1] if len(reply) > 1 else None
        if value is None:
            value = await compute()
            await self._store(self._keys.cache_entry(scope, generation, variant), value)
        self._local.put(scope, variant, LocalPage(generation, value, checked_at=now))
        return value

    async def _store(self, key: str, value: bytes) -> None:
        try:
            await self._client.set(key, value, ex=ENTRY_TTL_SECONDS)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)

    async def invalidate(self, *scopes: str) -> None:
        """Call after the change is committed."""
        for scope in scopes:
            self._local.drop(scope)
        try:
            await self._invalidate_script(keys=[self._keys.cache_generation(scope) for scope in scopes])
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache invalidation lost (entries expire within %ss): %r", ENTRY_TTL_SECONDS, exc)


@dataclass(slots=True)
class LocalPage:
    generation: str
    value: bytes
    checked_at: float  # when its generation was last known to be current (monotonic)


class LocalPages:
    """This process's recent pages, least recently used first, within a byte budget."""

    def __init__(self, max_bytes: int, fresh_seconds: float) -> None:
        self._max_bytes = max_bytes
        self._fresh_seconds = fresh_seconds
        self._bytes = 0
        self._pages: OrderedDict[tuple[str, str], LocalPage] = OrderedDict()
        self._variants: dict[str, set[str]] = {}
        # When each scope was last dropped, oldest first: a page read before its scope changed
        # here is not kept. Older than fresh_seconds, a drop no longer matters, as such a page
        # would be checked with Redis before being served anyway.
        self._dropped: OrderedDict[str, float] = OrderedDict()

    def get(self, scope: str, variant: str) -> LocalPage | None:
        page = self._pages.get((scope, variant))
        if page is not None:
            self._pages.move_to_end((scope, variant))
        return page

    def put(self, scope: str, variant: str, page: LocalPage) -> None:
        if self._dropped.get(scope, -1.0) >= page.checked_at:
            return
        self._discard(scope, variant)
        self._pages[(scope, variant)] = page
        self._variants.setdefault(scope, set()).add(variant)
        self._bytes += len(page.value)
        while self._bytes > self._max_bytes:
            oldest_scope, oldest_variant = next(iter(self._pages))
            self._discard(oldest_scope, oldest_variant)

    def drop(self, scope: str) -> None:
        for variant in list(self._variants.get(scope, ())):
            self._discard(scope, variant)
        now = time.monotonic()
        self._dropped[scope] = now
        self._dropped.move_to_end(scope)
        while next(iter(self._dropped.values())) < now - self._fresh_seconds:
            self._dropped.popitem(last=False)

    def _discard(self, scope: str, variant: str) -> None:
        page = self._pages.pop((scope, variant), None)
        if page is None:
            return
        self._bytes -= len(page.value)
        variants = self._variants[scope]
        variants.discard(variant)
        if not variants:
            del self._variants[scope]
