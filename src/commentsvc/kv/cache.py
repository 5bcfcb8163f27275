"""A read-through cache with generations: readers remember the generation they
started from, writers bump it after committing, so a page computed from old
data is stored under a key nobody reads any more. PostgreSQL stays the truth;
if Redis fails, reads simply go to PostgreSQL."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as redis

from commentsvc.kv.client import UNAVAILABLE_ERRORS
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.cache")

# KEYS[1]: the scope's generation. ARGV[1], ARGV[2]: the entry key around the
# generation; ARGV[3]: a new generation, taken if the scope has none. One round
# trip: the generation and, if present, the entry.
_GET = """
local generation = redis.call('GET', KEYS[1])
if not generation then
  generation = ARGV[3]
  redis.call('SET', KEYS[1], generation)
end
return {generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
"""

# Bounds staleness if an invalidation is ever lost (Redis unreachable just then).
ENTRY_TTL_SECONDS = 60
# Scopes whose invalidation this process could not send, kept to send once Redis answers again.
MAX_LOST_SCOPES = 100_000


class GenerationalCache:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys
        self._get_script = client.register_script(_GET)
        # A Redis that comes back with its data (persisted, or only unreachable for a while) still
        # holds entries these scopes made stale: nothing is read from it before they are sent.
        self._lost: set[str] = set()

    async def _entry(self, scope: str, variant: str) -> tuple[str | None, bytes | None]:
        """(generation, entry); (None, None) when Redis cannot be asked."""
        if self._lost and not await self._send_lost():
            return None, None
        before, after = self._keys.cache_entry_around(scope, variant)
        try:
            generation, entry = await self._get_script(
                keys=[self._keys.cache_generation(scope)], args=[before, after, _new_generation()]
            )
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)
            return None, None
        return generation.decode(), entry

    async def read_through(self, scope: str, variant: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached entry, or ``compute()`` stored under the generation read before computing it."""
        generation, cached = await self._entry(scope, variant)
        if cached is not None:
            return cached
        value = await compute()
        if generation is not None:
            await self._store(scope, generation, variant, value)
        return value

    async def _store(self, scope: str, generation: str, variant: str, value: bytes) -> None:
        try:
            await self._client.set(
                self._keys.cache_entry(scope, generation, variant), value, ex=ENTRY_TTL_SECONDS
            )
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)

    async def invalidate(self, *scopes: str) -> None:
        """Call after the change is committed."""
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
            async with self._client.pipeline(transaction=False) as pipe:
                for scope in scopes:
                    pipe.set(self._keys.cache_generation(scope), _new_generation())
                await pipe.execute()
        except UNAVAILABLE_ERRORS as exc:
            log.warning("cache unavailable: %r", exc)
            return False
        return True


def _new_generation() -> str:
    """Random, not counted: after Redis restarts empty a counter would start again at values
    pages computed before the restart, and stored after it, were filed under."""
    return secrets.token_hex(8)
