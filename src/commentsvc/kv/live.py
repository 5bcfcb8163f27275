"""Live updates through Redis pub/sub: one channel per article, published to by the process that
wrote the change, and followed by every process through one pattern subscription."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError

from commentsvc.kv.client import UNAVAILABLE_ERRORS, reaching_redis
from commentsvc.kv.keys import Keys

log = logging.getLogger("commentsvc.live")

# Waits between attempts to subscribe again while Redis is away: doubled from the first to the most.
FIRST_BACKOFF_SECONDS = 0.1
MOST_BACKOFF_SECONDS = 5.0
# How long one read waits for a message: a lost connection is noticed by then at worst.
READ_SECONDS = 1.0


class LiveChannels:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def channel(self, slug: str, article: str) -> str:
        return self._keys.live_channel(slug, article)

    async def publish(self, channel: str, message: bytes) -> None:
        with reaching_redis():
            await self._redis.publish(channel, message)

    async def follow(
        self,
        on_message: Callable[[str, bytes], None],
        on_subscribed: Callable[[], None],
        on_lost: Callable[[], None],
    ) -> None:
        """Hand every article's messages to ``on_message``, for ever. ``on_subscribed`` is called
        each time the subscription is (again) in place, ``on_lost`` each time it is lost: what was
        published meanwhile never arrives."""
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            pubsub = None
            try:
                pubsub = await self._subscription()
                await pubsub.psubscribe(self._keys.live_pattern())
                while True:
                    message = await pubsub.get_message(timeout=READ_SECONDS)
                    if message is None:
                        continue
                    if message["type"] == "pmessage":
                        on_message(message["channel"].decode(), message["data"])
                    elif message["type"] == "psubscribe":
                        # Also after the driver's own reconnection, which subscribes again.
                        backoff = FIRST_BACKOFF_SECONDS
                        on_subscribed()
            except (*UNAVAILABLE_ERRORS, RedisError, RedisClusterException) as exc:  # away, or refusing
                log.warning("live: Redis subscription lost, again in %.1f s: %r", backoff, exc)
            finally:
                on_lost()
                if pubsub is not None:
                    await asyncio.shield(_closed(pubsub))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MOST_BACKOFF_SECONDS)

    async def _subscription(self) -> redis.client.PubSub:
        """A subscriber's connection. Classic pub/sub is cluster-wide: on a Redis Cluster, one
        node's connection hears what is published on any node (the cluster client would route a
        pattern by its slot, which means nothing for one); a node that fails is left for another
        at the next subscription."""
        if isinstance(self._redis, RedisCluster):
            await self._redis.initialize()
            return self._redis.pubsub(node=self._redis.get_random_node())
        return self._redis.pubsub()


async def _closed(pubsub: redis.client.PubSub) -> None:
    try:
        await pubsub.aclose()
    except (*UNAVAILABLE_ERRORS, RedisError):
        pass
