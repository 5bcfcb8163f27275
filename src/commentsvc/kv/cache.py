"""A read-through cache with generations: readers remember the generation they
started from, writers bump it after committing, so a page computed from old
data is stored under a key nobody reads any more. PostgreSQL stays the truth;
if Redis fails, reads simply go to PostgreSQL.

Each process also keeps the pages it served lately, with the generation they
belong to: for LOCAL_FRESH_SECONDS it serves them without asking Redis (the
hottest pages then cost no round trip at all), after that one small call
checks the generation and only a changed page travels again. A change made in
this process shows at once; one made in another process within that second.

A page with nothing in it (an article nobody has commented on, as anyone may ask about keys they
make up) leaves nothing in Redis: its scope gets a generation only when it changes, and then
serves its pages through Redis like any other."""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from commentsvc.kv.batch import Batched
from commentsvc.kv.client import UNAVAILABLE_ERRORS
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.cache")

# KEYS[1]: the scope's generation; KEYS[2]: its entry (one key per variant, whatever the generation,
# so that the script knows every key it touches, as a Redis Cluster requires). The entry's value is
# the generation it was computed under, then the page. ARGV[1]: the generation the caller already
# has a page for. One round trip: nothing if the scope has no generation, else the generation and,
# if the caller's page is not of it, the entry if it is of it (else nothing).
_READ = """
local generation = redis.call('GET', KEYS[1])
if not generation then return {} end
if generation == ARGV[1] then return {generation} end
local entry = redis.call('GET', KEYS[2])
if entry and string.sub(entry, 1, #generation) == generation then return {generation, entry} end
return {generation, false}
"""
# KEYS[1]: the scope's generation; KEYS[2]: its entry. ARGV: the new generation, its lifetime, the
# entry (the new generation, then the page), its lifetime. The scope had no generation when the
# page was computed: the page is filed under a new one unless a change gave it one meanwhile (the
# page may predate it).
_START = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return 1
"""

# Bounds staleness if an invalidation is ever lost (Redis unreachable just then).
ENTRY_TTL_SECONDS = 60
# Generations expire too, so Redis does not keep one for every article ever read (and may evict
# them under memory pressure): a scope without one gets a new random one, which no entry matches.
GENERATION_TTL_SECONDS = 24 * 3600
# Scopes whose invalidation this process could not send, kept to send once Redis answers again.
MAX_LOST_SCOPES = 100_000
LOCAL_FRESH_SECONDS = 1.0
# The generation of a page kept here while its scope has none in Redis (never a random one).
NO_GENERATION = ""
LOCAL_MAX_BYTES = 32 * 1024 * 1024


class Computed(NamedTuple):
    value: bytes
    # False for a page with nothing in it (a thread without comments): Redis keeps nothing of it.
    keep: bool


class GenerationalCache:
    def __init__(self, redis: Batched, keys: Keys, local_fresh_seconds: float = LOCAL_FRESH_SECONDS) -> None:
        self._redis = redis
        self._keys = keys
        self._read_script = redis.register_script(_READ)
        self._start_script = redis.register_script(_START)
        self._local = LocalPages(LOCAL_MAX_BYTES, local_fresh_seconds)
        # A Redis that comes back with its data (persisted, or only unreachable for a while) still
        # holds entries these scopes made stale: nothing is read from it before they are sent.
        self._lost: set[str] = set()

    async def read_through(
        self, scope: str, variant: str, compute: Callable[[], Awaitable[Computed]]
    ) -> bytes:
        """The cached entry, or ``compute()`` stored under the generation read before computing it."""
        now = time.monotonic()
        local = self._local.get(scope, variant)
        if local is not None and self._local.is_fresh(local, now):
            return local.value
        reply = await self._read(scope, variant, local.generation if local else NO_GENERATION)
        if reply is None:
            # Invalidations may be lost while Redis is away: nothing cached is trusted meanwhile.
            self._local.drop(scope)
            return (await compute()).value
        if not reply:
            return await self._first(scope, variant, compute, now)
        generation = reply[0].decode()
        if local is not None and local.generation == generation:
            local.checked_at = now
            return local.value
        entry = reply[1] if len(reply) > 1 else None
        if entry is not None:
            value = entry[len(generation) :]
        else:
            value, keep = await compute()
            if keep:
                await self._store(self._keys.cache_entry(scope, variant), generation.encode() + value)
        self._local.put(scope, variant, LocalPage(generation, value, checked_at=now))
        return value

    async def _first(
        self, scope: str, variant: str, compute: Callable[[], Awaitable[Computed]], now: float
    ) -> bytes:
        """A page of a scope without a generation: kept here under none (the next check finds
        the one a change gives it); a page worth keeping in Redis also starts its generation."""
        value, keep = await compute()
        generation: str | None = NO_GENERATION
        if keep:
            generation = await self._start(scope, variant, value)
        if generation is not None:
            self._local.put(scope, variant, LocalPage(generation, value, checked_at=now))
        return value

    async def _start(self, scope: str, variant: str, value: bytes) -> str | None:
        """The new generation the page is filed under; None if a change gave the scope one first
        (or Redis cannot be asked)."""
        generation = _new_generation()
        try:
            started = await self._redis.script(
                self._start_script,
                [self._keys.cache_generation(scope), self._keys.cache_entry(scope, variant)],
                [generation, GENERATION_TTL_SECONDS, generation.encode() + value, ENTRY_TTL_SECONDS],
            )
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)
            return None
        return generation if started else None

    async def _store(self, key: str, value: bytes) -> None:
        try:
            await self._redis.execute(("SET", key, value, "EX", ENTRY_TTL_SECONDS))
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)

    async def _read(self, scope: str, variant: str, known_generation: str) -> list | None:
        """[] (no generation), [generation] or [generation, entry or None]; None when Redis cannot
        be asked."""
        if self._lost and not await self._send_lost():
            return None
        try:
            return await self._redis.script(
                self._read_script,
                [self._keys.cache_generation(scope), self._keys.cache_entry(scope, variant)],
                [known_generation],
            )
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)
            return None

    async def invalidate(self, *scopes: str) -> None:
        """Call after the change is committed."""
        for scope in scopes:
            self._local.drop(scope)
        if not await self._bump(scopes):
            if len(self._lost) + len(scopes) <= MAX_LOST_SCOPES:
                self._lost.update(scopes)
            log.warning(
                "cache invalidation delayed until Redis answers (entries expire within %ss)",
                ENTRY_TTL_SECONDS,
            )

    async def _send_lost(self) -> bool:
        lost = set(self._lost)
        if not await self._bump(lost):
            return False
        self._lost -= lost
        return True

    async def _bump(self, scopes: Iterable[str]) -> bool:
        """Move each scope to a new generation; False if Redis cannot be told."""
        try:
            await self._redis.execute(
                *(
                    (
                        "SET",
                        self._keys.cache_generation(scope),
                        _new_generation(),
                        "EX",
                        GENERATION_TTL_SECONDS,
                    )
                    for scope in scopes
                )
            )
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)
            return False
        return True


def _new_generation() -> str:
    """Random, not counted: after Redis restarts empty a counter would start again at values that
    pages computed before the restart (here or in Redis) were filed under. All of one length, so an
    entry that begins with the scope's generation is of that generation."""
    return secrets.token_hex(8)


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

    def is_fresh(self, page: LocalPage, now: float) -> bool:
        """Still current without asking Redis."""
        return now - page.checked_at < self._fresh_seconds

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
        # Least recently used first out: over the budget, and any page nobody asked for in the
        # entries' lifetime (a hot page is checked every second), so memory follows the pages
        # readers actually want rather than filling up to the budget and staying there.
        idle_since = page.checked_at - ENTRY_TTL_SECONDS
        while self._pages:
            oldest_key, oldest = next(iter(self._pages.items()))
            if self._bytes <= self._max_bytes and oldest.checked_at >= idle_since:
                break
            self._discard(*oldest_key)

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
