"""The redis-py asyncio client, with timeouts on every call so a slow Redis never hangs a request."""

from __future__ import annotations

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commentsvc.config import Settings

# Errors that mean "Redis is not reachable right now".
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


MAX_CONNECTIONS = 64


def create_client(settings: Settings) -> redis.Redis:
    # A blocking pool: a burst waits (briefly) for a free connection instead of failing.
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=MAX_CONNECTIONS,
        timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
    )
    return redis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes both
