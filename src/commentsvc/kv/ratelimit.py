"""A GCRA rate limiter as one atomic Lua script, so it holds across worker
processes. While Redis is unreachable each process limits on its own, and
more strictly for the groups that guard passwords, rather than failing open.
Reads are counted in each process always: their limit is generous, and a Redis
round trip would cost the hottest routes more than everything else they do."""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict

import msgspec

from commentsvc.config import RateLimit
from commentsvc.kv.batch import Batched
from commentsvc.kv.client import UNAVAILABLE_ERRORS
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.ratelimit")
# Groups that guard passwords get half their limit per process while Redis is away.
STRICT_WHEN_DEGRADED = frozenset({"register", "login", "login_account", "refresh"})
LOCAL_KEYS = 100_000
PER_PROCESS = frozenset({"read"})

# KEYS[1]: the limit's key. ARGV: period in ms, count. The key holds the
# "theoretical arrival time" (ms); Redis' own clock keeps workers consistent.
# Returns {allowed, remaining, reset_ms, retry_after_ms}.
_GCRA = """
local period = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local interval = period / count
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(1, math.ceil(new_tat - now)))
return {1, math.floor((period - (new_tat - now)) / interval), new_tat - now, 0}
"""


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int


class RateLimiter:
    def __init__(self, redis: Batched, keys: Keys) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA)
        self._keys = keys
        self._local = LocalLimiter()

    async def hit(self, group: str, identity: str, limit: RateLimit) -> Decision:
        key = self._keys.rate_limit(group, identity)
        if group in PER_PROCESS:
            return _decision(self._local.hit(key, limit), limit)
        try:
            result = await self._redis.script(self._script, [key], [limit.period_seconds * 1000, limit.count])
        except UNAVAILABLE_ERRORS as exc:
            log.warning("rate limiting in-process while Redis is unreachable: %r", exc)
            if group in STRICT_WHEN_DEGRADED:
                limit = RateLimit(max(1, limit.count // 2), limit.period_seconds)
            result = self._local.hit(key, limit)
        return _decision(result, limit)


def _decision(result: list[int], limit: RateLimit) -> Decision:
    allowed, remaining, reset_ms, retry_ms = result
    return Decision(
        allowed=bool(allowed),
        limit=limit.count,
        remaining=int(remaining),
        reset_seconds=math.ceil(int(reset_ms) / 1000),
        retry_after_seconds=max(1, math.ceil(int(retry_ms) / 1000)) if not allowed else 0,
    )


class LocalLimiter:
    """The same GCRA in process memory, for when Redis cannot be asked."""

    def __init__(self) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()

    def hit(self, key: str, limit: RateLimit) -> list[int]:
        now = time.monotonic() * 1000
        period = limit.period_seconds * 1000
        interval = period / limit.count
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + interval
        allow_at = new_tat - period
        if now < allow_at:
            return [0, 0, int(tat - now), int(allow_at - now)]
        self._tat[key] = new_tat
        self._tat.move_to_end(key)
        if len(self._tat) > LOCAL_KEYS:
            self._tat.popitem(last=False)
        return [1, int((period - (new_tat - now)) // interval), int(new_tat - now), 0]
