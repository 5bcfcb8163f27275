"""Redis calls of concurrent requests sent in one pipeline (see commentsvc.batching).

Only one batch is in flight at a time, so the batches go over one connection of their own,
written and read directly: the pool's lock, per-call retry and per-reply timeout layers of
redis-py's pipelines cost more CPU than the round trip they wrap. One timeout bounds the
whole batch instead; a batch that fails or times out drops the connection (its replies may be
half read) and the next one connects again; one that finds its idle connection dropped (Redis
restarted) is sent once more on a new one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import hiredis
import redis.asyncio as redis
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commentsvc.batching import Coalesced

Command = tuple[Any, ...]
# Calls per pipeline at the most: a few requests' worth stays one small write.
MAX_CALLS = 256


class Batched:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        pool = client.connection_pool
        self._timeout: float | None = pool.connection_kwargs.get("socket_timeout")
        # The batch's timeout replaces the connection's own (which would wrap each write and read).
        self._connection = pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})
        self._pipelined: Coalesced[Sequence[Command], list[Any]] = Coalesced(self._send, MAX_CALLS)

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
        """One EVALSHA; the script is loaded when Redis does not know it (after a restart)."""
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return (await self.execute(command))[0]
        except NoScriptError:
            await self._client.script_load(script.script)
            return (await self.execute(command))[0]

    async def aclose(self) -> None:
        await self._connection.disconnect()

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
        per_call, start = [], 0
        for commands in calls:
            per_call.append(replies[start : start + len(commands)])
            start += len(commands)
        return per_call

    async def _round_trip(self, commands: Sequence[Command]) -> list[Any]:
        connection = self._connection
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
