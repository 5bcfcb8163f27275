"""A Redis Cluster and a Sentinel set-up of the fault suite's own, run from the machine's
binaries (Redis 7: the Cluster's bus port is given) on free ports, and the journey through
accounts, comments, moderation and limits that the service must pass on each, before and after
a failover."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import redis.asyncio as redis

from commentsvc.config import RateLimit, Settings
from commentsvc.domain.cached_pages import thread_scope
from commentsvc.kv.client import create_client
from commentsvc.kv.keys import Keys
from tests.builders import (
    PASSWORD,
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)
from tests.faults.conftest import checked_client, database, services
from tests.faults.test_redis_down import visible_ids

# Generous next to a loopback round trip, so that two busy cores do not make a slow answer a fault.
TIMEOUT_SECONDS = 1.0
# Sign-ins per account and minute: the journey's third is the last allowed.
SIGN_INS = RateLimit(3, 60)
# How long a master may be silent before it counts as failed (Cluster and Sentinels alike), in ms.
DOWN_AFTER_MS = 1000
SERVICE = "commentsvc"


def redis_node(root: Path, name: str, *options: str, config: str | None = None) -> services.Server:
    """A redis-server on a free port in a folder of its own (not started); ``config``, a file's
    text the server may rewrite (Sentinels do)."""
    port = services.free_port()
    folder = root / f"{name}-{port}"
    folder.mkdir(parents=True)
    cmd: list[object] = [services.redis_binary()[0]]
    if config is not None:
        (folder / "redis.conf").write_text(config)
        cmd.append(folder / "redis.conf")
    cmd += ["--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no", "--dir", folder]
    cmd += ["--save", "", "--appendonly", "no", *options]
    return services.Server(f"Redis {name}", cmd, folder / "log", port, signal.SIGTERM, services.redis_pong)


async def launch(stack: contextlib.ExitStack, servers: list[services.Server]) -> None:
    for server in servers:
        await asyncio.to_thread(services.launch, stack, server)


async def until(condition: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    """Poll ``condition`` (Redis errors count as not yet) until it holds; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(redis.RedisError, OSError):
            if await condition():
                return
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def node(port: int) -> AsyncIterator[redis.Redis]:
    """A client of the test's own on one server (or Sentinel)."""
    client = redis.Redis(port=port, socket_timeout=TIMEOUT_SECONDS, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def ask(port: int, *command: object) -> object:
    async with node(port) as client:
        return await client.execute_command(*command)


async def replication(port: int) -> dict:
    async with node(port) as client:
        return await client.info("replication")


# --- Redis Cluster -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def redis_cluster(root: Path) -> AsyncIterator[list[services.Server]]:
    """Three masters, each with a replica, made by redis-cli --cluster create; yields its nodes."""
    options = ("--cluster-enabled", "yes", "--cluster-node-timeout", str(DOWN_AFTER_MS))
    # A replica however far behind may take over: these tests choose when its master goes.
    options += ("--cluster-replica-validity-factor", "0")
    # The bus port chosen too: by default the port plus 10000, which may be taken or too high.
    nodes = [
        redis_node(root, "cluster", *options, "--cluster-port", str(services.free_port())) for _ in range(6)
    ]
    with contextlib.ExitStack() as stack:
        await launch(stack, nodes)
        create = [services.redis_binary()[0].with_name("redis-cli"), "--cluster", "create"]
        create += [f"127.0.0.1:{node.port}" for node in nodes] + ["--cluster-replicas", "1", "--cluster-yes"]
        made = await asyncio.to_thread(subprocess.run, create, capture_output=True, text=True, timeout=30)
        assert made.returncode == 0, made.stdout + made.stderr
        await until(lambda: cluster_ok(nodes), "the Cluster's nodes all say it is ok")
        yield nodes


async def cluster_ok(nodes: list[services.Server]) -> bool:
    """Every running node says the Cluster is ok, and every replica is in step with its master."""
    running = [node for node in nodes if node.running]
    for node in running:
        if "cluster_state:ok" not in await ask(node.port, "CLUSTER", "INFO"):
            return False
        role = await replication(node.port)
        if role["role"] == "slave" and role["master_link_status"] != "up":
            return False
    return True


async def master_of(nodes: list[services.Server], key: str) -> services.Server:
    """The node that serves the slot of ``key``, as a running node sees it."""
    asked = next(node for node in nodes if node.running).port
    slot = await ask(asked, "CLUSTER", "KEYSLOT", key)
    for start, end, (_, port, *_), *_ in await ask(asked, "CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return next(node for node in nodes if node.port == port)
    raise AssertionError(f"no node serves slot {slot}")


async def fail_over_cluster(nodes: list[services.Server], key: str) -> None:
    """Stop the master serving ``key`` once its replica has every write; wait for the replica
    to take over and the Cluster to be ok again."""
    master = await master_of(nodes, key)
    await ask(master.port, "WAIT", 1, 5000)
    await asyncio.to_thread(master.stop)
    await until(
        lambda: changed(master_of(nodes, key), master), "a replica takes over the stopped master's slots"
    )
    await until(lambda: cluster_ok(nodes), "the Cluster is ok again")


async def changed(now: Awaitable[services.Server], before: services.Server) -> bool:
    return await now is not before


# --- Sentinel ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def sentinel_set(root: Path) -> AsyncIterator[tuple[list[services.Server], list[services.Server]]]:
    """A master, its replica and three Sentinels watching them (quorum two); yields (the data
    servers, the Sentinels)."""
    master = redis_node(root, "master")
    replica = redis_node(root, "replica", "--replicaof", "127.0.0.1", str(master.port))
    config = (
        f"sentinel monitor {SERVICE} 127.0.0.1 {master.port} 2\n"
        f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
        f"sentinel failover-timeout {SERVICE} 10000\n"
    )
    sentinels = [redis_node(root, "sentinel", "--sentinel", config=config) for _ in range(3)]
    with contextlib.ExitStack() as stack:
        await launch(stack, [master, replica])
        await until(lambda: replica_in_step(replica), "the replica follows the master")
        await launch(stack, sentinels)
        await until(lambda: sentinels_see(sentinels, master, replica), "the Sentinels know the replica")
        yield [master, replica], sentinels


async def replica_in_step(replica: services.Server) -> bool:
    return (await replication(replica.port)).get("master_link_status") == "up"


async def sentinels_see(
    sentinels: list[services.Server], master: services.Server, replica: services.Server
) -> bool:
    """Each Sentinel names ``master`` and knows ``replica`` as its healthy replica."""
    for sentinel in sentinels:
        async with node(sentinel.port) as client:
            if await client.sentinel_get_master_addr_by_name(SERVICE) != ("127.0.0.1", master.port):
                return False
            known = {r["port"]: r for r in await client.sentinel_slaves(SERVICE)}
        if (
            replica.port not in known
            or not known[replica.port]["is_slave"]
            or known[replica.port]["is_sdown"]
        ):
            return False
    return True


def sentinel_url(sentinels: list[services.Server]) -> str:
    return "redis+sentinel://" + ",".join(f"127.0.0.1:{s.port}" for s in sentinels) + f"/{SERVICE}/0"


async def fail_over_sentinels(
    sentinels: list[services.Server], master: services.Server, replica: services.Server
) -> None:
    """SENTINEL FAILOVER; wait until every Sentinel names the replica and the old master follows it."""
    await ask(master.port, "WAIT", 1, 5000)
    await ask(sentinels[0].port, "SENTINEL", "FAILOVER", SERVICE)
    await until(lambda: sentinels_see(sentinels, replica, master), "the Sentinels name the new master")
    await until(lambda: replica_in_step(master), "the old master follows the new one")


# --- the journey -------------------------------------------------------------------------------


def settings_on(settings: Settings, redis_url: str) -> Settings:
    """The fault suite's settings (a key prefix of the test's own) on this Redis, with sign-ins
    limited so that the journey trips them."""
    return dataclasses.replace(
        settings,
        redis_url=redis_url,
        redis_timeout_seconds=TIMEOUT_SECONDS,
        rate_limits={**settings.rate_limits, "login_account": SIGN_INS},
    )


@contextlib.asynccontextmanager
async def two_processes(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with checked_client(settings) as first, checked_client(settings) as second:
        yield first, second


async def journey(
    first: httpx.AsyncClient, second: httpx.AsyncClient, settings: Settings
) -> tuple[str, str, list[int]]:
    """Register and sign in, post, moderate and read through two service processes sharing the
    Redis ``settings`` names; returns the site, the article and the ids of its visible comments."""
    article = unique_name("article")
    async with database(settings) as db:
        site = await make_site(db, moderation="pre")
        moderator = await make_moderator(first, db, site)
    author = await register(first)
    held = [await post_comment(first, author, site, article) for _ in range(3)]
    assert {c["status"] for c in held} == {"pending"}

    # The queue hands each item to one moderator: the second process sees the first's claims.
    items = await moderation_queue(first, site, moderator, 2)
    assert [i["comment"]["id"] for i in items] == [c["id"] for c in held[:2]]
    rest = await moderation_queue(second, site, moderator, 10)
    assert [i["comment"]["id"] for i in rest] == [c["id"] for c in held]  # their own claims, renewed
    await decide(second, moderator, items[0]["item_id"], action="approve")
    await decide(first, moderator, items[1]["item_id"], action="reject", reason="hors sujet")
    await decide(second, moderator, rest[2]["item_id"], action="approve")

    # Read through the cache, from both processes.
    assert await visible_ids(first, site, article) == [held[0]["id"], held[2]["id"]]
    assert await visible_ids(second, site, article) == [held[0]["id"], held[2]["id"]]
    client = create_client(settings)
    try:
        assert await client.exists(Keys(settings.redis_prefix).cache_generation(thread_scope(site, article)))
    finally:
        await client.aclose()

    # The sign-ins of one account, counted in Redis across both processes.
    sign_in = {"login": author.username, "password": PASSWORD}
    answers = [await app.post("/api/v1/auth/login", json=sign_in) for app in (first, second, first, second)]
    assert [a.status_code for a in answers] == [200] * SIGN_INS.count + [429]
    return site, article, [held[0]["id"], held[2]["id"]]
