"""The asyncpg pool the service and the command line share."""

from __future__ import annotations

import asyncpg

from commentsvc.config import Settings

# Errors that mean "PostgreSQL is not reachable right now", not "this query is wrong".
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    # A connection the server dropped in the middle of an operation (a restart) can leave
    # asyncpg's protocol in a state the next query on it trips over.
    asyncpg.exceptions.InternalClientError,
)


async def _nothing_to_reset(_: asyncpg.Connection) -> None:
    """The service sets no session state (no SET, LISTEN or advisory locks on
    pooled connections), so the default reset query on every release is a
    wasted round trip; asyncpg still rolls back an unfinished transaction."""


async def create_pool(settings: Settings) -> asyncpg.Pool:
    return await _pool(settings, settings.db_pool_size, {})


# One batch of posting's context reads and one of its writes are in flight at a time.
BATCHES_POOL_SIZE = 2


async def create_batches_pool(settings: Settings) -> asyncpg.Pool:
    """Connections for posting's batched statements, whose plans are always the generic one.
    The planner's choice would be a plan made for each batch's arguments whenever the batches
    are small (a plan for a few rows looks cheaper than one for any number), and planning the
    write took 0.6 ms, about as long as running it for seven comments: a third of the writes
    were planned again in the bench. The generic plan runs as fast for every batch size."""
    return await _pool(settings, BATCHES_POOL_SIZE, {"plan_cache_mode": "force_generic_plan"})


async def _pool(settings: Settings, size: int, server_settings: dict[str, str]) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url,
        min_size=0,  # start even while PostgreSQL is down; /readyz says so
        max_size=size,
        command_timeout=10,
        # Idle connections are replaced so a restarted server is noticed quickly.
        max_inactive_connection_lifetime=60,
        reset=_nothing_to_reset,
        server_settings=server_settings,
    )


async def connect(settings: Settings) -> asyncpg.Connection:
    return await asyncpg.connect(settings.database_url)
