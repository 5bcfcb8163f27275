"""A PostgreSQL primary and a streaming replica of it made with `pg_basebackup -R`, both our own
processes: reads are served by the replica, a reader sees their own writes at once, a replica
too far behind is taken out (and put back once caught up), and one stopped under readers costs
them nothing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as redis

from commentsvc.config import Settings
from commentsvc.kv.keys import Keys
from commentsvc.store.replicas import connect_for_reading
from tests.builders import (
    Reader,
    eventually,
    flatten,
    make_site,
    post_comment,
    read_thread,
    register,
    unique_name,
)
from tests.conftest import migrated_database, settings_for_tests, with_database
from tests.faults.conftest import BackingServers, checked_client, services

# Short, so that the test sees a lagging replica taken out within a few seconds.
MAX_LAG_SECONDS = 2.0


@dataclass
class StreamingPair:
    primary: services.Server
    replica: services.Server
    settings: Settings

    @property
    def replica_url(self) -> str:
        return self.settings.database_replica_urls[0]

    @contextlib.asynccontextmanager
    async def on(self, url: str) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(url)
        try:
            yield conn
        finally:
            await conn.close()

    @contextlib.asynccontextmanager
    async def replay_paused(self) -> AsyncIterator[None]:
        """The replica receives the primary's WAL but applies none of it meanwhile."""
        async with self.on(self.replica_url) as replica:
            await replica.execute("SELECT pg_wal_replay_pause()")
            try:
                yield
            finally:
                await replica.execute("SELECT pg_wal_replay_resume()")

    async def replayed(self) -> None:
        """Until the replica has applied everything the primary has committed."""
        async with self.on(self.settings.database_url) as primary, self.on(self.replica_url) as replica:
            target = await primary.fetchval("SELECT pg_current_wal_insert_lsn()")

            async def caught_up() -> bool:
                return await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target)

            await eventually(caught_up, "the replica replays the primary's WAL", seconds=10)


def _as_postgres(user) -> dict:
    return dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[]) if user else {}


def _base_backup(bindir: Path, root: Path, primary_port: int) -> Path:
    """A copy of the primary that follows it (-R writes standby.signal and primary_conninfo)."""
    user = services.pg_user()
    pgdata = root / "replica"
    pgdata.mkdir(mode=0o700)
    if user:
        os.chown(pgdata, user.pw_uid, user.pw_gid)
    cmd = [bindir / "pg_basebackup", "-D", pgdata, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]
    cmd += ["-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60, **_as_postgres(user))
    return pgdata


def _replica_server(bindir: Path, root: Path, pgdata: Path) -> services.Server:
    port = services.free_port()
    cmd = [bindir / "postgres", "-D", pgdata, "-p", str(port), "-c", "listen_addresses=127.0.0.1"]
    cmd += ["-c", f"unix_socket_directories={pgdata if len(str(pgdata)) < 90 else ''}", "-c", "fsync=off"]
    # A standby allows at least the connections its primary does, or it refuses to replay.
    cmd += ["-c", f"max_connections={services.MAX_CONNECTIONS}"]
    return services.Server(
        "PostgreSQL replica",
        cmd,
        root / "replica.log",
        port,
        signal.SIGINT,
        services.pg_ready,
        cwd=root,
        **_as_postgres(services.pg_user()),
    )


@pytest.fixture(scope="module")
async def streaming_pair(backing_servers: BackingServers) -> AsyncIterator[StreamingPair]:
    root = Path(tempfile.mkdtemp(prefix="commentsvc-replicas-"))
    root.chmod(0o755)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        bindir, _, _ = services.postgres_binaries()
        primary = services.postgres_server(bindir, root, "primary")
        await asyncio.to_thread(services.launch, stack, primary)
        server = Settings(
            database_url=f"postgresql://postgres@127.0.0.1:{primary.port}/postgres",
            redis_url=f"redis://127.0.0.1:{backing_servers.redis.port}/0",
        )
        async with migrated_database(server, "commentsvc_replicas") as url:
            pgdata = await asyncio.to_thread(_base_backup, bindir, root, primary.port)
            replica = _replica_server(bindir, root, pgdata)
            await asyncio.to_thread(services.launch, stack, replica)
            replica_url = with_database(
                f"postgresql://postgres@127.0.0.1:{replica.port}/postgres", url.rsplit("/", 1)[1]
            )
            settings = dataclasses.replace(
                settings_for_tests(server, url, f"commentsvc-replicas:{uuid.uuid4().hex[:8]}:"),
                database_replica_urls=(replica_url,),
                replica_max_lag_seconds=MAX_LAG_SECONDS,
            )
            yield StreamingPair(primary, replica, settings)
            if not replica.running:
                await asyncio.to_thread(replica.start)


async def _shown_body(client, site: str, article: str, reader: Reader) -> str:
    [comment] = flatten((await read_thread(client, site, article, reader))["comments"])
    return comment["body_html"]


async def test_reads_come_from_the_replica_and_a_reader_sees_their_own_writes_at_once(streaming_pair):
    pair = streaming_pair
    async with checked_client(pair.settings) as client:
        async with pair.on(pair.settings.database_url) as primary:
            site = await make_site(primary)
            reader = await register(client)
            settled = unique_name("article")
            comment = await post_comment(client, reader, site, settled, "as first written")
            window = Keys(pair.settings.redis_prefix).recent_change(f"site:{site}")
            kv = redis.Redis.from_url(pair.settings.redis_url)
            try:
                # Until nothing of the site counts as changed lately: its reads may be a replica's.
                await eventually(lambda: _gone(kv, window), "the post's window closes", seconds=10)
            finally:
                await kv.aclose()
            await pair.replayed()

            async with pair.replay_paused():
                # Changed on the primary behind the service's back (no event): only a replica that
                # has not replayed it still shows the first text.
                await primary.execute(
                    "UPDATE comments SET body_html = '<p>changed behind</p>' WHERE id = $1", comment["id"]
                )

                async def from_the_replica() -> bool:
                    return await _shown_body(client, site, settled, reader) == comment["body_html"]

                await eventually(from_the_replica, "a read served by the replica", seconds=3)
                # The article's feed, never read before, is made from the replica's rows too.
                feed = await client.get(f"/feeds/{site}/article.atom", params={"article": settled})
                assert feed.status_code == 200 and "as first written" in feed.text
                assert "changed behind" not in feed.text

                # The reader's own post, which the paused replica cannot have: theirs at once.
                fresh = unique_name("article")
                posted = await post_comment(client, reader, site, fresh, "mine, at once")
                for who in (reader, None):
                    shown = flatten((await read_thread(client, site, fresh, who))["comments"])
                    assert [c["id"] for c in shown] == [posted["id"]]
                # A vote is its voter's at once, in their part of the shared page.
                voter = await register(client)
                voted = await client.put(
                    f"/api/v1/comments/{posted['id']}/vote", json={"value": 1}, headers=voter.auth
                )
                assert voted.status_code == 200, voted.text
                shared = await read_thread(client, site, fresh, voter, overlay="true")
                assert shared["viewer"]["votes"] == {str(posted["id"]): 1}
                assert [c["score"] for c in shared["comments"]] == [1]

                # The replica falls behind the bound: taken out, its reads go to the primary.
                async def from_the_primary() -> bool:
                    return await _shown_body(client, site, settled, reader) == "<p>changed behind</p>"

                await eventually(
                    from_the_primary, "the lagging replica taken out", seconds=MAX_LAG_SECONDS + 4
                )

            await pair.replayed()
            async with pair.replay_paused():
                await primary.execute(
                    "UPDATE comments SET body_html = '<p>changed again</p>' WHERE id = $1", comment["id"]
                )

                async def replica_back() -> bool:
                    return await _shown_body(client, site, settled, reader) == "<p>changed behind</p>"

                await eventually(replica_back, "the replica put back once caught up", seconds=5)


async def _gone(kv: redis.Redis, key: str) -> bool:
    return not await kv.exists(key)


async def test_a_replica_stopped_under_readers_costs_them_nothing(streaming_pair):
    pair = streaming_pair
    async with checked_client(pair.settings) as client:
        async with pair.on(pair.settings.database_url) as primary:
            site = await make_site(primary)
        reader = await register(client)
        article = unique_name("article")
        posted = await post_comment(client, reader, site, article)
        await pair.replayed()
        async with pair.on(pair.replica_url) as replica:
            # The service's pool is connected to the replica: the stop breaks its connections.
            await eventually(lambda: _replica_backends(replica), "the service reads from the replica", 5)
        statuses: list[int] = []
        stop_reading = asyncio.Event()

        async def keep_reading(overlay: bool) -> None:
            while not stop_reading.is_set():
                response = await client.get(
                    f"/api/v1/sites/{site}/comments",
                    params={"article": article, "overlay": str(overlay).lower()},
                    headers=reader.auth,
                )
                statuses.append(response.status_code)
                assert [c["id"] for c in flatten(response.json()["comments"])] == [posted["id"]]

        # Pages built for the reader, and the shared page with the reader's part.
        readers = [asyncio.create_task(keep_reading(n % 2 == 0)) for n in range(4)]
        try:
            await eventually(lambda: _at_least(statuses, 20), "reads before the stop", 5)
            await asyncio.to_thread(pair.replica.stop)
            before = len(statuses)
            await eventually(lambda: _at_least(statuses, before + 50), "reads after the stop", 10)
        finally:
            stop_reading.set()
            await asyncio.gather(*readers)
            await asyncio.to_thread(pair.replica.start)
        assert set(statuses) == {200}


async def _replica_backends(replica: asyncpg.Connection) -> bool:
    return bool(
        await replica.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )


async def _at_least(items: list[int], count: int) -> bool:
    return len(items) >= count


async def test_an_export_reads_a_replica_that_has_replayed_every_change_before_it(streaming_pair):
    pair = streaming_pair
    async with pair.on(pair.settings.database_url) as primary:
        site = await make_site(primary)
    conn = await connect_for_reading(pair.settings)
    try:
        assert await conn.fetchval("SELECT pg_is_in_recovery()")
        assert await conn.fetchval("SELECT count(*) FROM sites WHERE slug = $1", site) == 1
    finally:
        await conn.close()
    # No replica in reach: the primary's.
    stopped = dataclasses.replace(pair.settings, database_replica_urls=("postgresql://127.0.0.1:1/none",))
    conn = await connect_for_reading(stopped)
    try:
        assert not await conn.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await conn.close()
