"""Sign-ins with an identity provider in flight, and the one-time codes that let a signed-in reader
link an identity: each kept in Redis for minutes, and taken (read and deleted) once."""

from __future__ import annotations

import msgspec
import redis.asyncio as redis

from commentsvc.kv.client import reaching_redis
from commentsvc.kv.keys import Keys
from commentsvc.model.identities import Flow

# Long enough to sign in at the provider (a password, a second factor), short enough to go stale.
FLOW_SECONDS = 600
# Between the widget asking for a link code and its popup opening: a moment.
LINK_CODE_SECONDS = 120


class SignInFlows:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    async def keep(self, state: str, flow: Flow) -> None:
        with reaching_redis():
            await self._client.set(self._keys.sign_in_flow(state), msgspec.json.encode(flow), ex=FLOW_SECONDS)

    async def take(self, state: str) -> Flow | None:
        """The flow started under ``state``, once: a replayed callback finds nothing."""
        with reaching_redis():
            raw = await self._client.getdel(self._keys.sign_in_flow(state))
        return msgspec.json.decode(raw, type=Flow) if raw is not None else None

    async def keep_link_code(self, code: str, user_id: int) -> None:
        with reaching_redis():
            await self._client.set(self._keys.link_code(code), str(user_id), ex=LINK_CODE_SECONDS)

    async def take_link_code(self, code: str) -> int | None:
        with reaching_redis():
            raw = await self._client.getdel(self._keys.link_code(code))
        return int(raw) if raw is not None else None
