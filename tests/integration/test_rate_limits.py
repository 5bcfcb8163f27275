"""Rate limits hold per route group, per address and per account, across processes."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import multiprocessing

import httpx
import pytest
import redis.asyncio as redis

from commentsvc.config import RateLimit
from commentsvc.kv.batch import Batched
from commentsvc.kv.keys import Keys
from commentsvc.kv.ratelimit import Check, RateLimiter
from tests.builders import PASSWORD, register, registration, unique_name
from tests.conftest import open_client
from tests.served import serve


def tight(settings, **limits: RateLimit):
    """The test settings with some limits made tight and a Redis prefix of their own."""
    return dataclasses.replace(
        settings,
        redis_prefix=f"{settings.redis_prefix}{unique_name('rl')}:",
        rate_limits={**settings.rate_limits, **limits},
    )


async def test_past_the_limit_comes_429_with_retry_after_and_ratelimit_headers(settings):
    async with open_client(tight(settings, login=RateLimit(3, 60))) as client:
        body = {"login": "nobody", "password": "wrong password"}
        statuses = [(await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        limited = await client.post("/api/v1/auth/login", json=body)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 20
    assert limited.headers["ratelimit-limit"] == "3"
    assert limited.headers["ratelimit-remaining"] == "0"
    assert int(limited.headers["ratelimit-reset"]) > 0
    assert limited.json()["code"] == "rate_limited"
    assert "try again" in limited.json()["detail"]


async def test_groups_are_limited_separately(settings):
    async with open_client(tight(settings, login=RateLimit(1, 60))) as client:
        await client.post("/api/v1/auth/login", json={"login": "x", "password": "wrong password"})
        assert (
            await client.post("/api/v1/auth/login", json={"login": "x", "password": "y"})
        ).status_code == 429
        reader = await register(client)
        assert (await client.get("/api/v1/me", headers=reader.auth)).status_code == 200


async def test_one_account_is_limited_whatever_the_address(settings):
    limited = tight(settings, login_account=RateLimit(2, 300))
    statuses = []
    async with open_client(limited) as client:
        reader = await register(client)
    for n in range(3):
        async with open_client(limited, address=f"10.0.0.{n + 1}") as client:
            response = await client.post(
                "/api/v1/auth/login", json={"login": reader.username, "password": "nope"}
            )
            statuses.append(response.status_code)
    assert statuses == [401, 401, 429]
    async with open_client(limited, address="10.0.0.1") as client:
        # Another account from the same address is not affected.
        response = await client.post("/api/v1/auth/login", json={"login": unique_name(), "password": "nope"})
        assert response.status_code == 401


async def test_every_spelling_of_an_account_shares_one_sign_in_allowance(settings):
    limited = tight(settings, login_account=RateLimit(4, 300))
    async with open_client(limited) as client:
        reader = await register(client, username=unique_name("Ilse"))
        fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in reader.username)
        dotted_capital_i = reader.email.replace("I", "\u0130")  # PostgreSQL lower-cases İ to i
        spellings = [reader.username, reader.email, reader.username.upper(), dotted_capital_i]
        guesses = [
            (
                await client.post("/api/v1/auth/login", json={"login": login, "password": "wrong guess"})
            ).status_code
            for login in spellings
        ]
        assert guesses == [401] * 4
        # The next attempt is refused in every spelling that reaches the account, the right
        # password included.
        refused = {
            login: (
                await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
            ).status_code
            for login in [*spellings, reader.email.upper(), fullwidth, f"  {reader.username.lower()} "]
        }
        assert refused == dict.fromkeys(refused, 429)


async def test_probing_which_emails_are_registered_is_bounded_by_the_registration_limit(settings):
    """Until registration can answer a taken e-mail like a new one (it needs e-mail verification),
    a taken e-mail is the same generic 409 as a taken username, and an address gets few tries."""
    async with open_client(tight(settings)) as client:
        known = await register(client)
    async with open_client(tight(settings, register=RateLimit(3, 3600))) as client:
        probes = [
            await client.post("/api/v1/auth/register", json=registration(email=email))
            for email in (known.email, known.email.upper(), f"other.{known.email}", f"x.{known.email}")
        ]
    assert [p.status_code for p in probes] == [409, 409, 201, 429]
    assert probes[0].json()["detail"] == "That username or email cannot be used; choose another or sign in."


async def test_forwarded_for_is_believed_only_from_trusted_proxies(settings):
    proxied = dataclasses.replace(
        tight(settings, login=RateLimit(1, 60)), trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),)
    )
    body = {"login": "x", "password": "wrong password"}
    async with open_client(proxied) as client:
        for address in ("203.0.113.1", "203.0.113.2"):
            response = await client.post(
                "/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address}
            )
            assert response.status_code == 401, address
        again = await client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": "203.0.113.1"})
        assert again.status_code == 429
    # From an untrusted peer the header is ignored: the peer itself is limited.
    async with open_client(proxied, address="198.51.100.7") as client:
        spoofs = [
            (
                await client.post(
                    "/api/v1/auth/login", json=body, headers={"X-Forwarded-For": f"192.0.2.{n}"}
                )
            ).status_code
            for n in range(2)
        ]
    assert spoofs == [401, 429]


def _hammer(redis_url: str, prefix: str, attempts: int, results: multiprocessing.Queue) -> None:
    async def run() -> int:
        client = redis.Redis.from_url(redis_url)
        limiter = RateLimiter(Batched(client), Keys(prefix))
        allowed = 0
        for _ in range(attempts):
            allowed += (await limiter.hit(Check("login", "203.0.113.9", RateLimit(10, 60)))).allowed
        await client.aclose()
        return allowed

    results.put(asyncio.run(run()))


def test_the_limiter_is_atomic_across_processes(settings):
    prefix = f"{settings.redis_prefix}{unique_name('mp')}:"
    processes = multiprocessing.get_context("fork")
    results = processes.Queue()
    workers = [
        processes.Process(target=_hammer, args=(settings.redis_url, prefix, 25, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    allowed = sum(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=10)
    assert allowed == 10


@pytest.mark.slow
async def test_a_burst_of_50_logins_on_two_workers_lets_at_most_10_through(settings, tmp_path):
    limited = tight(settings)
    with serve(
        limited, workers=2, log=tmp_path / "serve.log", COMMENTSVC_RATE_LIMIT_LOGIN="10/1m"
    ) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            reader = await register(client)
            body = {"login": reader.username, "password": PASSWORD}
            responses = await asyncio.gather(
                *(client.post("/api/v1/auth/login", json=body) for _ in range(50))
            )
    statuses = [r.status_code for r in responses]
    assert statuses.count(429) >= 40
    assert 1 <= len([s for s in statuses if s == 200]) <= 10
    assert set(statuses) <= {200, 429}
