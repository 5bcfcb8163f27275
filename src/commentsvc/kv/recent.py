"""Which cache scopes changed lately, for every instance to see: a read of one within the window
must see the change, so it is not served by a replica that may not have replayed it yet."""

from __future__ import annotations

import logging

from commentsvc.kv.batch import Batched
from commentsvc.kv.client import UNAVAILABLE_ERRORS
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.recent")


class RecentChanges:
    """``window_ms`` 0 (no replicas) keeps nothing and asks nothing: every read is fresh then."""

    def __init__(self, redis: Batched, keys: Keys, window_ms: int) -> None:
        self._redis = redis
        self._keys = keys
        self._window_ms = window_ms

    async def mark(self, scopes: list[str]) -> None:
        if not self._window_ms or not scopes:
            return
        try:
            await self._redis.execute(
                *(("SET", self._keys.recent_change(scope), b"", "PX", self._window_ms) for scope in scopes)
            )
        except UNAVAILABLE_ERRORS as exc:
            # The cache cannot be told of the change either: both catch up as the README says.
            log.warning("recent changes unavailable: %r", exc)

    async def any(self, *scopes: str) -> bool:
        """Whether one of ``scopes`` changed within the window; True when Redis cannot say."""
        if not self._window_ms:
            return False
        try:
            # One key a command: scopes hash to different slots of a Redis Cluster.
            found = await self._redis.execute(*(("EXISTS", self._keys.recent_change(s)) for s in scopes))
        except UNAVAILABLE_ERRORS as exc:
            log.warning("recent changes unavailable: %r", exc)
            return True
        return any(found)
