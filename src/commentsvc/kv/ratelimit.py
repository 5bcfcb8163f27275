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
from collections.abc import Sequence

import msgspec

from commentsvc.config import RateLimit
from commentsvc.kv.batch import Batched
from commentsvc.kv.client import UNAVAILABLE_ERRORS
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.ratelimit")
# Groups that guard passwords get half their limit per process while Redis is away.
STRICT_WHEN_DEGRADED = frozenset(
    {"register", "login", "login_account", "refresh", "password_user", "forgot", "forgot_email"}
)
LOCAL_KEYS = 100_000
PER_PROCESS = frozenset({"read"})

# KEYS: one per limit. ARGV: each limit's period in ms and count, in the same order. Each key
# holds the "theoretical arrival time" (ms); Redis' own clock keeps workers consistent. The limits
# are counted in turn and the first that refuses ends it (the later ones are not counted).
# Returns {allowed, which limit decided (1-based), remaining, reset_ms, retry_after_ms}.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local result
for i, key in ipairs(KEYS) do
  local period = tonumber(ARGV[2 * i - 1])
  local interval = period / tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then
    return {0, i, 0, tat - now, allow_at - now}
  end
  redis.call('SET', key, new_tat, 'PX', math.max(1, math.ceil(new_tat - now)))
  result = {1, i, math.floor((period - (new_tat - now)) / interval), new_tat - now, 0}
end
return result
"""


class Check(msgspec.Struct, frozen=True):
    """One request counted against one group's limit for one identity (an address, an account)."""

    group: str
    identity: str
    limit: RateLimit


class Decision(msgspec.Struct, frozen=True):
    group: str
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

    async def hit(self, *checks: Check) -> Decision:
        """Count the request against each check in turn (one round trip for them all): the first
        refusal, which leaves the later ones uncounted, or the last check's decision."""
        keys = [self._keys.rate_limit(check.group, check.identity) for check in checks]
        if all(check.group in PER_PROCESS for check in checks):
            return self._hit_locally(checks, keys)
        args = [value for check in checks for value in (check.limit.period_seconds * 1000, check.limit.count)]
        try:
            allowed, which, *rest = await self._redis.script(self._script, keys, args)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("rate limiting in-process while Redis is unreachable: %r", exc)
            return self._hit_locally([_degraded(check) for check in checks], keys)
        return _decision(checks[which - 1], [allowed, *rest])

    def _hit_locally(self, checks: Sequence[Check], keys: Sequence[str]) -> Decision:
        for check, key in zip(checks, keys, strict=True):
            decision = _decision(check, self._local.hit(key, check.limit))
            if not decision.allowed:
                break
        return decision


def _degraded(check: Check) -> Check:
    """While Redis is away each process limits on its own: half the limit for password guards."""
    if check.group not in STRICT_WHEN_DEGRADED:
        return check
    return Check(
        check.group, check.identity, RateLimit(max(1, check.limit.count // 2), check.limit.period_seconds)
    )


def _decision(check: Check, result: list[int]) -> Decision:
    allowed, remaining, reset_ms, retry_ms = result
    return Decision(
        group=check.group,
        allowed=bool(allowed),
        limit=check.limit.count,
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
