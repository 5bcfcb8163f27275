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
    return await asyncpg.create_pool(
        settings.database_url,
        min_size=0,  # start even while PostgreSQL is down; /readyz says so
        max_size=settings.db_pool_size,
        command_timeout=10,
        # Idle connections are replaced so a restarted server is noticed quickly.
        max_inactive_connection_lifetime=60,
        reset=_nothing_to_reset,
    )


async def connect(settings: Settings) -> asyncpg.Connection:
    return await asyncpg.connect(settings.database_url)
