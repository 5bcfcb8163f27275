"""Redis calls of concurrent requests sent in one pipeline (see commentsvc.batching).

Only one batch is in flight at a time, so the batches go over one connection of their own,
written and read directly: the pool's lock, per-call retry and per-reply timeout layers of
redis-py's pipelines cost more CPU than the round trip they wrap. One timeout bounds the
whole batch instead; a batch that fails or times out drops the connection (its replies may be
half read) and the next one connects again; one that finds its idle connection dropped (Redis
restarted) is sent once more on a new one.

A Redis Cluster has no one connection to write to: there each batch is a pipeline of the
cluster client, which sends each node its commands (all single-key, or scripts whose keys share
a slot) and follows a slot that moved."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import hiredis
import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commentsvc.batching import Coalesced
from commentsvc.kv.client import UNAVAILABLE_ERRORS

Command = tuple[Any, ...]
# Calls per pipeline at the most: a few requests' worth stays one small write.
MAX_CALLS = 256


class Batched:
    def __init__(self, client: redis.Redis | RedisCluster) -> None:
        self._client = client
        self._pipelined: Coalesced[Sequence[Command], list[Any]]
        if isinstance(client, RedisCluster):
            self._timeout = client.get_connection_kwargs().get("socket_timeout")
            self._pipelined = Coalesced(self._send_to_cluster, MAX_CALLS)
            return
        pool = client.connection_pool
        self._timeout = pool.connection_kwargs.get("socket_timeout")
        # The batch's timeout replaces the connection's own (which would wrap each write and read).
        # (Behind Sentinels, the connection asks them for the master's address when it connects.)
        self._connection = pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})
        self._pipelined = Coalesced(self._send, MAX_CALLS)

    def register_script(self, script: str) -> AsyncScript:
        return self._client.register_script(script)

    async def execute(self, *commands: Command) -> list[Any]:
        """The commands' replies, in order; a command's error is raised (the first one), as is
        an error that failed the whole pipeline (Redis unreachable)."""
        replies = await self._pipelined(commands)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """One EVALSHA; sent whole when the server its keys live on does not know it (after a
        restart, or a Cluster node's first), which keeps it there for the next EVALSHA."""
        try:
            return (await self.execute(("EVALSHA", script.sha, len(keys), *keys, *args)))[0]
        except NoScriptError:
            return (await self.execute(("EVAL", script.script, len(keys), *keys, *args)))[0]

    async def aclose(self) -> None:
        if not isinstance(self._client, RedisCluster):
            await self._connection.disconnect()

    async def _send_to_cluster(self, calls: Sequence[Sequence[Command]]) -> list[list[Any]]:
        # Not a transaction: each command goes to the node holding its key.
        pipe = self._client.pipeline(transaction=False)
        for commands in calls:
            for command in commands:
                pipe.execute_command(*command)
        try:
            async with asyncio.timeout(self._timeout):
                replies = await pipe.execute(raise_on_error=False)
                if any(isinstance(reply, UNAVAILABLE_ERRORS) for reply in replies):
                    # A node gone (its replica may have taken over) or the cluster failing over: the
                    # pipeline, unlike single commands, leaves the slots' map as it was, so the next
                    # batch would go to the same node again.
                    with contextlib.suppress(*UNAVAILABLE_ERRORS):
                        await self._client.nodes_manager.initialize()
        except TimeoutError:
            raise RedisTimeoutError(f"Redis did not answer within {self._timeout} s") from None
        return _per_call(calls, replies)

    async def _send(self, calls: Sequence[Sequence[Command]]) -> list[list[Any]]:
        commands = [command for commands in calls for command in commands]
        was_connected = self._connection.is_connected
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    replies = await self._round_trip(commands)
                except (RedisConnectionError, OSError):
                    if not was_connected:
                        raise
                    # Dropped while idle (Redis restarted): the same commands once more, on a new connection.
                    await self._connection.disconnect(nowait=True)
                    replies = await self._round_trip(commands)
        except TimeoutError:
            await self._connection.disconnect(nowait=True)
            raise RedisTimeoutError(f"Redis did not answer within {self._timeout} s") from None
        except BaseException:
            await self._connection.disconnect(nowait=True)
            raise
        return _per_call(calls, replies)

    async def _round_trip(self, commands: Sequence[Command]) -> list[Any]:
        connection = self._connection
        if not connection.is_connected:
            # Through connect(), which behind Sentinels asks them for the master's address: left to
            # send_packed_command, the connection would go to its default address instead.
            await connection.connect()
        # Packed by hiredis, in C: redis-py's own packer, in Python, took longer than the round trip.
        packed = [hiredis.pack_command(command) for command in commands]
        # Checked first (a PING, after health_check_interval idle seconds), so a connection Redis
        # dropped meanwhile is replaced rather than failing the batch.
        await connection.send_packed_command(packed, check_health=True)
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(await connection.read_response())
            except ResponseError as exc:  # this command's error, for its caller alone
                replies.append(exc)
        return replies


def _per_call(calls: Sequence[Sequence[Command]], replies: list[Any]) -> list[list[Any]]:
    per_call, start = [], 0
    for commands in calls:
        per_call.append(replies[start : start + len(commands)])
        start += len(commands)
    return per_call
