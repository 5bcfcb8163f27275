"""Redis calls of concurrent requests sent in one pipeline (see commentsvc.batching)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from commentsvc.batching import Coalesced

Command = tuple[Any, ...]
# Calls per pipeline at the most: a few requests' worth stays one small write.
MAX_CALLS = 256


class Batched:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client
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

    async def _send(self, calls: Sequence[Sequence[Command]]) -> list[list[Any]]:
        async with self._client.pipeline(transaction=False) as pipe:
            for commands in calls:
                for command in commands:
                    pipe.execute_command(*command)
            replies = await pipe.execute(raise_on_error=False)
        per_call, start = [], 0
        for commands in calls:
            per_call.append(replies[start : start + len(commands)])
            start += len(commands)
        return per_call
