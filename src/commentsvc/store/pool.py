"""The asyncpg pool the service uses, and the single connections of the command line. The
pool's connections raise the service's own errors where PostgreSQL is out of reach or rolled a
transaction back, so that nothing above ``store/`` knows the driver's exception classes."""

from __future__ import annotations

import functools
import getpass
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from commentsvc.config import Settings
from commentsvc.errors import DatabaseUnavailable, RolledBack, Unavailable

P = ParamSpec("P")
R = TypeVar("R")

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


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise DatabaseUnavailable() from exc
    except asyncpg.TransactionRollbackError as exc:
        raise RolledBack() from exc


def _translating(call: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(call)
    async def translating(*args: P.args, **kwargs: P.kwargs) -> R:
        with _translated():
            return await call(*args, **kwargs)

    return translating


class _Connection(asyncpg.Connection):
    """A pooled connection: every statement the store runs (transactions' BEGIN and COMMIT
    included, which go through ``execute``) fails with the service's errors, not the driver's."""

    execute = _translating(asyncpg.Connection.execute)
    executemany = _translating(asyncpg.Connection.executemany)
    fetch = _translating(asyncpg.Connection.fetch)
    fetchrow = _translating(asyncpg.Connection.fetchrow)
    fetchval = _translating(asyncpg.Connection.fetchval)


async def _connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """How the pool opens a connection: PostgreSQL out of reach is DatabaseUnavailable."""
    with _translated():
        return await asyncpg.connect(*args, **kwargs)


# A request waits this long for a free connection at the most, then is answered 503.
ACQUIRE_TIMEOUT_SECONDS = 5.0


@asynccontextmanager
async def connection(
    pool: asyncpg.Pool, timeout: float = ACQUIRE_TIMEOUT_SECONDS
) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool for the block; no connection free within ``timeout`` seconds, or
    the pool closing (shutdown), is DatabaseUnavailable too."""
    with _translated():
        conn = await pool.acquire(timeout=timeout)
    try:
        yield conn
    finally:
        await pool.release(conn)


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
    write costs about as much as running it for a batch (bench/README.md, "Figures behind the
    code"). The generic plan runs as fast for every batch size."""
    return await _pool(settings, BATCHES_POOL_SIZE, {"plan_cache_mode": "force_generic_plan"})


async def create_events_pool(settings: Settings, subscribers: int) -> asyncpg.Pool:
    """Connections for the event dispatcher's own work (claims, acknowledgements, pruning), so
    that it never waits for, nor takes, a connection a request needs: one for each subscriber,
    each delivered at the same time as the others, and one to prune."""
    return await _pool(settings, subscribers + 1, {})


# The webhook sender's claims and records of attempts (short statements, a few at a time), apart
# from the requests' connections and the dispatcher's.
WEBHOOKS_POOL_SIZE = 2


async def create_webhooks_pool(settings: Settings) -> asyncpg.Pool:
    return await _pool(settings, WEBHOOKS_POOL_SIZE, {})


async def create_imports_pool(settings: Settings) -> asyncpg.Pool:
    """The connection of the import a process runs in the background (one at a time): its one
    transaction reads a whole file and merges it, for minutes on a large one, so no statement of
    it is cut short."""
    return await _pool(settings, 1, {}, command_timeout=None)


async def create_import_jobs_pool(settings: Settings) -> asyncpg.Pool:
    """The background imports' short statements (claims, progress, leases), apart from the
    requests' connections: one at a time."""
    return await _pool(settings, 1, {})


async def create_replica_pool(settings: Settings, url: str) -> asyncpg.Pool:
    """Connections to one streaming replica, as many as the primary's for requests."""
    return await _pool(settings, settings.db_pool_size, {}, url=url)


async def _pool(
    settings: Settings,
    size: int,
    server_settings: dict[str, str],
    command_timeout: float | None = 10,
    url: str | None = None,
) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url or settings.database_url,
        min_size=0,  # start even while PostgreSQL is down; /readyz says so
        max_size=size,
        command_timeout=command_timeout,
        # Idle connections are replaced so a restarted server is noticed quickly.
        max_inactive_connection_lifetime=60,
        reset=_nothing_to_reset,
        connect=_connect,
        connection_class=_Connection,
        server_settings=server_settings,
    )


# Long enough for a server across a network, short enough that a command does not seem to hang.
CONNECT_TIMEOUT_SECONDS = 10.0
# Databases every server has, to log in to when the configured one is missing.
_MAINTENANCE_DATABASES = ("postgres", "template1")


async def connect(
    settings: Settings,
    created: Callable[[str], None] | None = None,
    timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> asyncpg.Connection:
    """One connection to the configured database. When ``created`` is given, a missing database is
    created (if the role may) and ``created`` is told so in a sentence. Why no connection can be
    had is one sentence naming the server, the role and the database (``Unavailable``)."""
    server = _Server(settings.database_url)
    try:
        return await asyncpg.connect(settings.database_url, timeout=timeout)
    except asyncpg.InvalidCatalogNameError:
        if created is None:
            raise server.missing() from None
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        raise server.refused(exc) from None
    except UNAVAILABLE_ERRORS as exc:
        raise server.unreachable(exc) from None
    await _create_database(server, timeout)
    created(f"created database {server.database!r} on PostgreSQL at {server.where} (owner {server.role!r})")
    return await asyncpg.connect(settings.database_url, timeout=timeout)


def unreachable(settings: Settings, exc: BaseException) -> Unavailable:
    """PostgreSQL lost in the middle of a command, in one sentence."""
    return _Server(settings.database_url).unreachable(exc)


async def _create_database(server: _Server, timeout: float) -> None:
    for maintenance in _MAINTENANCE_DATABASES:
        try:
            conn = await asyncpg.connect(server.url_of(maintenance), timeout=timeout)
            break
        except asyncpg.InvalidCatalogNameError:
            continue
        except asyncpg.PostgresError as exc:
            raise server.cannot_create(f"logging in to {maintenance!r} to create it failed ({exc})") from None
        except UNAVAILABLE_ERRORS as exc:
            raise server.unreachable(exc) from None
    else:
        raise server.cannot_create("it has neither a postgres nor a template1 database to log in to")
    try:
        quoted = '"' + server.database.replace('"', '""') + '"'
        await conn.execute(f"CREATE DATABASE {quoted}")
    except asyncpg.DuplicateDatabaseError:
        pass  # another command made it meanwhile
    except asyncpg.InsufficientPrivilegeError:
        raise server.cannot_create(f"role {server.role!r} may not create databases") from None
    finally:
        await conn.close()


class _Server:
    """The parts of a database URL a sentence names (never its password), as libpq reads it."""

    def __init__(self, url: str) -> None:
        self._parts = parts = urlsplit(url)
        self.role = unquote(parts.username or "") or getpass.getuser()
        self.database = unquote(parts.path.lstrip("/")) or self.role
        try:
            port = parts.port or 5432
        except ValueError:  # not a number: asyncpg's own error names it
            port = 5432
        self.where = f"{parts.hostname or 'localhost'}:{port}"

    def url_of(self, database: str) -> str:
        return urlunsplit(self._parts._replace(path="/" + database))

    def unreachable(self, exc: BaseException) -> Unavailable:
        return Unavailable(
            f"cannot reach PostgreSQL at {self.where} ({exc or type(exc).__name__}); "
            "is COMMENTSVC_DATABASE_URL right?"
        )

    def missing(self) -> Unavailable:
        return Unavailable(
            f"PostgreSQL at {self.where} has no database {self.database!r} (role {self.role!r}); "
            "`commentsvc migrate` creates it."
        )

    def refused(self, exc: asyncpg.PostgresError) -> Unavailable:
        # The server says 28000 for a missing role and for a pg_hba.conf refusal alike.
        if "does not exist" in str(exc):
            return Unavailable(
                f"PostgreSQL at {self.where} has no role {self.role!r} (for database {self.database!r}): "
                f"create it (createuser --createdb {self.role}) or name another in COMMENTSVC_DATABASE_URL."
            )
        return Unavailable(
            f"PostgreSQL at {self.where} refused role {self.role!r} for database {self.database!r} ({exc}); "
            "check the role and password in COMMENTSVC_DATABASE_URL."
        )

    def cannot_create(self, why: str) -> Unavailable:
        return Unavailable(
            f"PostgreSQL at {self.where} has no database {self.database!r} and {why}: create it "
            f"(createdb -O {self.role} {self.database}) or name another in COMMENTSVC_DATABASE_URL."
        )
