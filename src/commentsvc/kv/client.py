"""The redis-py asyncio client, with timeouts on every call so a slow Redis never hangs a request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commentsvc.config import Settings
from commentsvc.errors import RedisUnavailable, Unavailable

# Errors that mean "Redis is not reachable right now".
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


MAX_CONNECTIONS = 64


@contextmanager
def reaching_redis() -> Iterator[None]:
    """Redis out of reach, raised as the service's RedisUnavailable rather than the driver's
    errors, for callers above ``kv/`` that cannot do without it."""
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise RedisUnavailable() from exc


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


async def check(settings: Settings) -> None:
    """Unavailable, in one sentence naming the server, unless Redis answers as configured."""
    parts = urlsplit(settings.redis_url)
    # Never the password.
    where = f"{parts.hostname}:{parts.port or 6379}{parts.path}" if parts.hostname else parts.path
    client = create_client(settings)
    try:
        await client.ping()
    except UNAVAILABLE_ERRORS as exc:
        raise Unavailable(f"cannot reach Redis at {where} ({exc}); is COMMENTSVC_REDIS_URL right?") from None
    except RedisError as exc:  # it answered, with a refusal: a password, a database index out of range
        raise Unavailable(
            f"Redis at {where} refused the connection ({exc}); check COMMENTSVC_REDIS_URL."
        ) from None
    finally:
        await client.aclose()
