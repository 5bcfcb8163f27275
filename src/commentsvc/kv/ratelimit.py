"""A GCRA rate limiter as one atomic Lua script, so it holds across worker processes."""

from __future__ import annotations

import math

import msgspec
import redis.asyncio as redis

from commentsvc.config import RateLimit
from commentsvc.kv.keys import Keys

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
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._script = client.register_script(_GCRA)
        self._keys = keys

    async def hit(self, group: str, identity: str, limit: RateLimit) -> Decision:
        allowed, remaining, reset_ms, retry_ms = await self._script(
            keys=[self._keys.rate_limit(group, identity)], args=[limit.period_seconds * 1000, limit.count]
        )
        return Decision(
            allowed=bool(allowed),
            limit=limit.count,
            remaining=int(remaining),
            reset_seconds=math.ceil(int(reset_ms) / 1000),
            retry_after_seconds=max(1, math.ceil(int(retry_ms) / 1000)) if not allowed else 0,
        )
