"""Redis calls of concurrent requests sent together. While one pipeline is in flight, the calls
made meanwhile wait for the next one, which carries all of them: a lone call goes out at once,
and under load many requests share a round trip, whose system calls and client bookkeeping
cost more than the small commands themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

Command = tuple[Any, ...]


class Batched:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._queued: list[tuple[Sequence[Command], asyncio.Future[list[Any]]]] = []
        self._sender: asyncio.Task[None] | None = None

    def register_script(self, script: str) -> AsyncScript:
        return self._client.register_script(script)

    async def execute(self, *commands: Command) -> list[Any]:
        """The commands' replies, in order; a command's error is raised (the first one), as is
        an error that failed the whole pipeline (Redis unreachable)."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._queued.append((commands, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        replies = await future
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

    async def _send(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for commands, _ in batch:
                            for command in commands:
                                pipe.execute_command(*command)
                        replies = await pipe.execute(raise_on_error=False)
                except BaseException as exc:  # the connection failed (or shutdown): the whole batch with it
                    for _, future in batch:
                        if future.done():
                            continue
                        if isinstance(exc, Exception):
                            future.set_exception(exc)
                        else:
                            future.cancel()
                    if not isinstance(exc, Exception):
                        raise
                    continue
                start = 0
                for commands, future in batch:
                    if not future.done():  # not given up on by its caller
                        future.set_result(replies[start : start + len(commands)])
                    start += len(commands)
        finally:
            self._sender = None
            for _, future in self._queued:  # only when cancelled itself (shutdown)
                future.cancel()
            self._queued = []
