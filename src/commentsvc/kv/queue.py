"""The moderation queue: one Redis stream per site, read through a consumer
group so that each item is handed to one moderator at a time. A claim is a
lease: an entry not acknowledged within it is handed to the next moderator.
The stream only mirrors PostgreSQL's open items and is rebuilt from them. Redis out of reach is
RedisUnavailable."""

from __future__ import annotations

import redis.asyncio as redis
from redis.exceptions import ResponseError

from commentsvc.kv.client import reaching_redis
from commentsvc.kv.keys import Keys

GROUP = "moderators"


class ModerationQueue:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    async def claim_rebuild(self) -> bool:
        """True for the one caller that must refill the queue from PostgreSQL because
        Redis has lost it (restarted empty); the marker says the queue is intact."""
        with reaching_redis():
            return bool(await self._client.set(self._keys.queue_marker(), "1", nx=True))

    async def push(self, site_id: int, item_ids: list[int]) -> list[str]:
        """Append items to the site's stream; returns their entry ids, in order."""
        stream = self._keys.queue(site_id)
        with reaching_redis():
            await self._ensure_group(stream)
            async with self._client.pipeline(transaction=False) as pipe:
                for item_id in item_ids:
                    pipe.xadd(stream, {"item": str(item_id)})
                return [entry.decode() for entry in await pipe.execute()]

    async def claim(self, site_id: int, moderator_id: int, count: int, lease_ms: int) -> dict[str, int]:
        """Up to ``count`` entries for this moderator: their own live claims first
        (renewed), then expired claims of others, then new entries. {entry id: item id}."""
        with reaching_redis():
            return await self._claim(self._keys.queue(site_id), str(moderator_id), count, lease_ms)

    async def _claim(self, stream: str, consumer: str, count: int, lease_ms: int) -> dict[str, int]:
        await self._ensure_group(stream)
        claimed: dict[str, int] = {}
        own = await self._client.xpending_range(
            stream, GROUP, min="-", max="+", count=count, consumername=consumer
        )
        if own:
            renewed = await self._client.xclaim(stream, GROUP, consumer, 0, [p["message_id"] for p in own])
            claimed.update(_entries(renewed))
        if len(claimed) < count:
            _, expired, _ = await self._client.xautoclaim(
                stream, GROUP, consumer, lease_ms, "0-0", count=count - len(claimed)
            )
            claimed.update(_entries(expired))
        if len(claimed) < count:
            fresh = await self._client.xreadgroup(GROUP, consumer, {stream: ">"}, count=count - len(claimed))
            for _, entries in fresh:
                claimed.update(_entries(entries))
        return claimed

    async def done(self, site_id: int, entry_ids: list[str]) -> None:
        if entry_ids:
            stream = self._keys.queue(site_id)
            with reaching_redis():
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.xack(stream, GROUP, *entry_ids)
                    pipe.xdel(stream, *entry_ids)
                    await pipe.execute()

    async def _ensure_group(self, stream: str) -> None:
        try:
            await self._client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


def _entries(entries: list) -> dict[str, int]:  # type: ignore[type-arg]
    # Entries deleted meanwhile come back with no fields.
    return {entry_id.decode(): int(fields[b"item"]) for entry_id, fields in entries if fields}
