"""Redis calls of concurrent requests share pipelines: each caller still gets its own replies,
and only its own errors."""

from __future__ import annotations

import asyncio
import dataclasses

from redis.exceptions import ResponseError

from commentsvc.kv.batch import Batched
from commentsvc.kv.client import UNAVAILABLE_ERRORS, create_client


async def test_concurrent_callers_get_their_own_replies(redis_client, settings):
    batched = Batched(redis_client)
    prefix = f"{settings.redis_prefix}batch:"

    async def caller(n: int) -> list:
        return await batched.execute(("INCRBY", f"{prefix}{n}", n), ("INCRBY", f"{prefix}{n}", 1))

    replies = await asyncio.gather(*(caller(n) for n in range(200)))
    assert replies == [[n, n + 1] for n in range(200)]
    assert [int(v) for v in await redis_client.mget([f"{prefix}{n}" for n in range(200)])] == [
        n + 1 for n in range(200)
    ]


async def test_a_command_error_fails_only_its_caller(redis_client, settings):
    batched = Batched(redis_client)
    key = f"{settings.redis_prefix}batch:text"
    await redis_client.set(key, "not a number")
    results = await asyncio.gather(
        batched.execute(("INCR", key)), batched.execute(("ECHO", "fine")), return_exceptions=True
    )
    assert isinstance(results[0], ResponseError)
    assert results[1] == [b"fine"]


async def test_a_script_unknown_to_redis_is_loaded_again(redis_client, settings):
    batched = Batched(redis_client)
    script = batched.register_script("return ARGV[1] .. '!'")
    assert await batched.script(script, [], ["bonjour"]) == b"bonjour!"
    await redis_client.script_flush()
    assert await batched.script(script, [], ["encore"]) == b"encore!"


async def test_callers_are_told_when_redis_cannot_be_reached(settings):
    unreachable = create_client(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    batched = Batched(unreachable)
    results = await asyncio.gather(*(batched.execute(("PING",)) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, UNAVAILABLE_ERRORS) for r in results), results
    await unreachable.aclose()


async def test_a_connection_dropped_while_idle_is_replaced_without_failing_a_call(redis_client):
    batched = Batched(redis_client)
    [connection_id] = await batched.execute(("CLIENT", "ID"))
    await redis_client.execute_command("CLIENT", "KILL", "ID", connection_id)
    [new_id] = await batched.execute(("CLIENT", "ID"))
    assert new_id != connection_id
    await batched.aclose()
