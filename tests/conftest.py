"""Fixtures shared by every suite. Each test run gets its own PostgreSQL
database and its own Redis key prefix, so runs never see each other's data."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import redis.asyncio as redis

from commentsvc.app import create_asgi
from commentsvc.config import RateLimit, Settings, load_settings
from commentsvc.kv.client import create_client
from commentsvc.store.migrations import migrate
from tests.mailbox import Mailbox

RUN_ID = uuid.uuid4().hex[:10]
# Where a test service without an SMTP server writes its mail.
MAIL_DIR = Path(tempfile.gettempdir()) / f"commentsvc-test-mail-{RUN_ID}"
# The requests' connections of each app a test runs (in process or served), fewer than a service's:
# the test processes run side by side, and several apps at once each, on one PostgreSQL server
# (100 connections by default), and no test sends more requests at once than this serves.
TEST_POOL_SIZE = 4

# Where the run's services keep uploaded imports: every process of a run shares it.
IMPORT_DIR = Path(tempfile.gettempdir()) / f"commentsvc-test-imports-{RUN_ID}"
# Tests that are not about rate limiting must never trip one.
GENEROUS = RateLimit(1_000_000, 60)
# Replies to one reader within this many seconds make one e-mail (600 in production): every
# service of a run registers the same window for that subscriber, and tests wait seconds, not minutes.
REPLY_MAIL_BATCH_SECONDS = 2
TESTS = Path(__file__).parent
# Suites marked by their folder, for `make test-fast` to leave out (with the tests marked `slow`).
FOLDER_MARKERS = ("browser", "faults", "contract")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(folder)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def server_settings() -> Settings:
    """Where the PostgreSQL and Redis servers are: `make test` exports their URLs."""
    return load_settings(os.environ)


@contextlib.asynccontextmanager
async def empty_database(server_settings: Settings, name: str) -> AsyncIterator[str]:
    """A new database on the test server, dropped afterwards; yields its URL."""
    await _as_admin(server_settings, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_settings.database_url, name)
    finally:
        # A connection of its own: the fault tests restart the server meanwhile.
        await _as_admin(server_settings, f'DROP DATABASE "{name}" WITH (FORCE)')


async def _as_admin(server_settings: Settings, statement: str) -> None:
    admin = await asyncpg.connect(with_database(server_settings.database_url, "postgres"))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def migrated_database(server_settings: Settings, name: str) -> AsyncIterator[str]:
    """A new database with the service's schema, dropped afterwards; yields its URL."""
    async with empty_database(server_settings, name) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield url


@pytest.fixture(scope="session")
async def test_database(server_settings: Settings) -> AsyncIterator[str]:
    async with migrated_database(server_settings, f"commentsvc_test_{RUN_ID}") as url:
        yield url


@pytest.fixture(scope="session")
async def redis_prefix(server_settings: Settings) -> AsyncIterator[str]:
    prefix = f"commentsvc-test:{RUN_ID}:"
    yield prefix
    client = redis.Redis.from_url(server_settings.redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def settings_for_tests(
    server_settings: Settings, database_url: str, redis_prefix: str, smtp_url: str | None = None
) -> Settings:
    """The service's settings for tests: this database and key prefix, limits nobody trips, mail
    to ``smtp_url`` (else to files in a folder of the run's own)."""
    return dataclasses.replace(
        server_settings,
        database_url=database_url,
        redis_prefix=redis_prefix,
        public_url="http://commentsvc.test",
        rate_limits={group: GENEROUS for group in server_settings.rate_limits},
        smtp_url=smtp_url,
        mail_dir=str(MAIL_DIR),
        import_dir=str(IMPORT_DIR),
        mail_from="commentsvc <no-reply@commentsvc.test>",
        reply_mail_batch_seconds=REPLY_MAIL_BATCH_SECONDS,
        db_pool_size=TEST_POOL_SIZE,
    )


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server the session's service sends its mail to."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def settings(server_settings: Settings, test_database: str, redis_prefix: str, mailbox: Mailbox) -> Settings:
    return settings_for_tests(server_settings, test_database, redis_prefix, mailbox.url)


@contextlib.asynccontextmanager
async def open_client(
    settings: Settings, address: str = "127.0.0.1", extra_routes: Sequence[object] = ()
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole application, lifespan included, on the test's own event loop.

    The lifespan runs in a task of its own because Litestar's lifespan holds an
    anyio task group, which must be entered and left by the same task, while
    pytest-asyncio sets a fixture up and tears it down in different tasks."""
    asgi = create_asgi(settings)
    for route in extra_routes:
        asgi.app.register(route)  # type: ignore[arg-type]
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with asgi.app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    await asyncio.wait([lifespan, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        lifespan.result()  # start-up failed: raise its error here
    try:
        transport = httpx.ASGITransport(app=asgi, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
            yield client
    finally:
        stop.set()
        await lifespan


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(settings) as c:
        yield c


@pytest.fixture(scope="session")
async def db(test_database: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the tests' own, to look at what the service stored."""
    conn = await asyncpg.connect(test_database)
    yield conn
    await conn.close()


@pytest.fixture
async def redis_client(settings: Settings) -> AsyncIterator[redis.Redis]:
    """A client of the tests' own, on the service's Redis (keys under the run's prefix)."""
    client = create_client(settings)
    yield client
    await client.aclose()
