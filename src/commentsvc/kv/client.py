"""The redis-py asyncio client, with timeouts on every call so a slow Redis never hangs a request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis.asyncio as redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import MasterNotFoundError, Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ClusterError, RedisClusterException, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commentsvc.config import Settings
from commentsvc.errors import RedisUnavailable, Unavailable
from commentsvc.redis_endpoint import CLUSTER, SENTINEL

# What create_client returns: both answer the same commands (a Cluster routes each by its key).
Client = redis.Redis | RedisCluster

# Errors that mean "Redis is not reachable right now": on a Cluster, also a cluster down while
# a master fails over (ClusterError) and no node reachable to learn the slots from.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    ClusterError,
    RedisClusterException,
)


MAX_CONNECTIONS = 64


@contextmanager
def reaching_redis() -> Iterator[None]:
    """Redis out of reach, raised as the service's RedisUnavailable rather than the driver's
    errors, for callers above ``kv/`` that cannot do without it."""
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise RedisUnavailable() from exc


def create_client(settings: Settings) -> Client:
    endpoint = settings.redis
    timeouts: dict[str, Any] = {
        "socket_timeout": settings.redis_timeout_seconds,
        "socket_connect_timeout": settings.redis_timeout_seconds,
    }
    credentials = {"username": endpoint.username, "password": endpoint.password}
    # The pools of a Cluster's nodes and of the Sentinels' master do not block: past the bound a
    # call fails at once. Only the calls outside the batches (queue, sign-in flows) use them.
    if endpoint.kind == CLUSTER:
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in endpoint.nodes],
            max_connections=MAX_CONNECTIONS,  # per node
            health_check_interval=30,
            **credentials,
            **timeouts,
        )
    if endpoint.kind == SENTINEL:
        # The Sentinels are asked without credentials (they seldom have any); the master with them.
        # Each Sentinel once, as a server is: the others are the retry, and a retry with backoff
        # would hold a request for seconds while none answers.
        asked_once = {**timeouts, "retry": Retry(NoBackoff(), 0)}
        sentinel = Sentinel(list(endpoint.nodes), sentinel_kwargs=asked_once, **timeouts)
        # Its pool asks the Sentinels for the master's address at each new connection.
        return sentinel.master_for(
            endpoint.service_name,
            redis_class=SentinelMaster,
            db=endpoint.db,
            max_connections=MAX_CONNECTIONS,
            health_check_interval=30,
            **credentials,
            **timeouts,
        )
    # A blocking pool: a burst waits (briefly) for a free connection instead of failing. A pooled
    # connection that Redis closed (a restart) fails its next call: that call is sent once more on
    # a new connection. A timeout is not retried: against a Redis that is slow or gone, a call
    # costs its timeout once.
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=MAX_CONNECTIONS,
        timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return redis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


class SentinelMaster(redis.Redis):
    """The master the Sentinels name; closing it closes the connections to the Sentinels too."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for sentinel in self.connection_pool.sentinel_manager.sentinels:
            await sentinel.aclose()


async def check(settings: Settings) -> None:
    """Unavailable, in one sentence naming the server, unless Redis answers as configured."""
    where = settings.redis.where
    client = create_client(settings)
    try:
        await client.ping()
    except MasterNotFoundError:  # its own message holds a client's whole repr
        raise Unavailable(
            f"cannot reach Redis at {where}: no Sentinel answered with its master's address; "
            "is COMMENTSVC_REDIS_URL right?"
        ) from None
    except UNAVAILABLE_ERRORS as exc:
        raise Unavailable(f"cannot reach Redis at {where} ({exc}); is COMMENTSVC_REDIS_URL right?") from None
    except RedisError as exc:  # it answered, with a refusal: a password, a database index out of range
        raise Unavailable(
            f"Redis at {where} refused the connection ({exc}); check COMMENTSVC_REDIS_URL."
        ) from None
    finally:
        await client.aclose()
