"""What the benchmark measures: the servers under test, the scenarios run against them, the
calibrations taken on the idle machine, and the ratios reported between all those figures.

To add a scenario: write a function that takes a Context and returns Measurements (build each
Load with ``ctx.load()``, measure it with ``harness.measure()``), and list it in SCENARIOS with
the server it needs. Consecutive scenarios needing the same server share one start of it.
A ratio is a line in RATIOS naming two figures, "<measurement>.<field>" or a calibration's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import harness
import httpx
from harness import BenchError, Load, Measurement, Request

from commentsvc.config import DEFAULT_RATE_LIMITS, load_settings
from commentsvc.domain.passwords import Passwords

WORKERS = 2  # uvicorn workers, for the ceiling and the service alike (the reference machine has 2 cores)
PASSWORD = "bench passphrase 2026"
# The bench measures the service, not its rate limits: every limit is lifted (N/PERIOD).
NO_LIMIT = "100000000/1s"
SEED_CONCURRENCY = 8
# The login storm starts this long before /me is measured and ends this long after.
STORM_MARGIN_S = 1.0


@dataclass(frozen=True)
class Options:
    duration: float  # seconds per measured wrk run
    warmup: float  # seconds of discarded load before each measured run
    connections: int  # for reads
    login_connections: int  # for logins alone
    storm_connections: int  # for logins during the storm
    users: int  # accounts seeded into the service


@dataclass(frozen=True)
class Run:
    """What every server of one bench run shares."""

    options: Options
    database_url: str  # the run's throwaway, migrated database
    redis_url: str
    redis_prefix: str  # the run's own Redis keys
    workdir: Path  # request lists for wrk
    logs: Path  # the servers' output


@dataclass(frozen=True)
class Account:
    username: str
    email: str
    password: str
    access_token: str


@dataclass
class Context:
    """A running server, as scenarios see it."""

    run: Run
    base_url: str
    accounts: list[Account] = field(default_factory=list)

    @property
    def options(self) -> Options:
        return self.run.options

    def load(
        self,
        name: str,
        path: str,
        connections: int,
        requests: list[Request] | None = None,
        duration: float | None = None,
    ) -> Load:
        requests_file = (
            harness.write_requests(self.run.workdir / f"{name}.lua", requests) if requests else None
        )
        return Load(self.base_url + path, connections, duration or self.options.duration, requests_file)


Server = Callable[[Run], AbstractContextManager[Context]]


@dataclass(frozen=True)
class Scenario:
    name: str
    server: Server
    about: str
    run: Callable[[Context], list[Measurement]]


@dataclass(frozen=True)
class Ratio:
    label: str
    numerator: str
    denominator: str


# --- servers --------------------------------------------------------------------------------


@contextlib.contextmanager
def ceiling(run: Run) -> Iterator[Context]:
    """bench/ceiling.py: bare Litestar under the same uvicorn settings as the service."""
    port = harness.free_port()
    cmd = [harness.PYTHON, str(harness.BENCH / "ceiling.py"), "--port", str(port), "--workers", str(WORKERS)]
    cmd += ["--database-url", run.database_url]
    base_url = f"http://127.0.0.1:{port}"
    with harness.server("the ceiling app", cmd, os.environ, f"{base_url}/select1", run.logs / "ceiling.log"):
        yield Context(run, base_url)


@contextlib.contextmanager
def service(run: Run) -> Iterator[Context]:
    """`commentsvc serve`, every rate limit lifted, with ``users`` accounts registered."""
    port = harness.free_port()
    # Only our settings: a COMMENTSVC_* left in the caller's shell must not change what is measured.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    env.update(
        COMMENTSVC_DATABASE_URL=run.database_url,
        COMMENTSVC_REDIS_URL=run.redis_url,
        COMMENTSVC_REDIS_PREFIX=run.redis_prefix,
        COMMENTSVC_PORT=str(port),
        # The seeded access tokens must outlive a long --duration.
        COMMENTSVC_ACCESS_TOKEN_MINUTES="240",
    )
    # Every group the service knows, so a group added later is lifted too.
    env.update({f"COMMENTSVC_RATE_LIMIT_{group.upper()}": NO_LIMIT for group in DEFAULT_RATE_LIMITS})
    cmd = [harness.PYTHON, "-m", "commentsvc.cli", "serve", "--workers", str(WORKERS)]
    base_url = f"http://127.0.0.1:{port}"
    with harness.server("commentsvc serve", cmd, env, f"{base_url}/readyz", run.logs / "commentsvc.log"):
        yield Context(run, base_url, asyncio.run(_register(base_url, run.options.users)))


async def _register(base_url: str, count: int) -> list[Account]:
    slots = asyncio.Semaphore(SEED_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def register(i: int) -> Account:
            username = f"bench_user_{i:05d}"
            email = f"{username}@bench.example.org"
            async with slots:
                response = await client.post(
                    "/api/v1/auth/register", json={"username": username, "email": email, "password": PASSWORD}
                )
            if response.status_code != 201:
                raise BenchError(f"registering {username} answered {response.status_code}: {response.text}")
            return Account(username, email, PASSWORD, response.json()["access_token"])

        return list(await asyncio.gather(*(register(i) for i in range(count))))


# --- requests ---------------------------------------------------------------------------------


def me_requests(accounts: list[Account]) -> list[Request]:
    return [Request("GET", "/api/v1/me", {"Authorization": f"Bearer {a.access_token}"}) for a in accounts]


def login_requests(accounts: list[Account]) -> list[Request]:
    # Half sign in by username, half by email: the service looks both up.
    return [
        Request(
            "POST",
            "/api/v1/auth/login",
            {"Content-Type": "application/json"},
            json.dumps({"login": a.username if i % 2 else a.email, "password": a.password}),
        )
        for i, a in enumerate(accounts)
    ]


# --- scenarios --------------------------------------------------------------------------------


def plain(ctx: Context) -> list[Measurement]:
    load = ctx.load("plain", "/plain", ctx.options.connections)
    return [harness.measure("plain", load, ctx.options.warmup)]


def select1(ctx: Context) -> list[Measurement]:
    load = ctx.load("select1", "/select1", ctx.options.connections)
    return [harness.measure("select1", load, ctx.options.warmup)]


def me(ctx: Context) -> list[Measurement]:
    load = ctx.load("me", "/api/v1/me", ctx.options.connections, me_requests(ctx.accounts))
    return [harness.measure("me", load, ctx.options.warmup)]


def login(ctx: Context) -> list[Measurement]:
    requests = login_requests(ctx.accounts)
    load = ctx.load("login", "/api/v1/auth/login", ctx.options.login_connections, requests)
    return [harness.measure("login", load, ctx.options.warmup)]


def storm(ctx: Context) -> list[Measurement]:
    """/me measured while logins run flat out: does argon2 starve everyone else?"""
    logins = ctx.load(
        "storm-login",
        "/api/v1/auth/login",
        ctx.options.storm_connections,
        login_requests(ctx.accounts),
        duration=ctx.options.duration + 2 * STORM_MARGIN_S,
    )
    reads = ctx.load("storm-me", "/api/v1/me", ctx.options.connections, me_requests(ctx.accounts))
    with harness.Wrk(logins) as background:
        time.sleep(STORM_MARGIN_S)  # the storm is fully under way before /me is measured
        during = harness.run_wrk("storm.me", reads)
        return [during, background.result("storm.login")]


SCENARIOS: list[Scenario] = [
    Scenario("plain", ceiling, "bare Litestar: GET /plain", plain),
    Scenario("select1", ceiling, "bare Litestar: GET /select1 (asyncpg SELECT 1)", select1),
    Scenario("me", service, "GET /api/v1/me alone", me),
    Scenario("login", service, "POST /api/v1/auth/login alone", login),
    Scenario("storm", service, "GET /api/v1/me during a login storm", storm),
]


# --- calibrations -------------------------------------------------------------------------------


def argon2() -> dict[str, float]:
    """One argon2id verify with the service's own code and default settings (those the bench's
    service runs with). With one hash at a time per worker, WORKERS over that is the most
    logins/s the service can reach."""
    passwords = Passwords(load_settings({}))

    async def seconds_per_verify(samples: int = 10) -> float:
        stored = await passwords.hash(PASSWORD)
        await passwords.verify(stored, PASSWORD)  # the first call also starts the hashing thread
        started = time.perf_counter()
        for _ in range(samples):
            await passwords.verify(stored, PASSWORD)
        return (time.perf_counter() - started) / samples

    try:
        seconds = asyncio.run(seconds_per_verify())
    finally:
        passwords.close()
    return {"argon2.verify_ms": seconds * 1000, "argon2.login_limit_rps": WORKERS / seconds}


# Taken before any server starts, while the machine is idle.
CALIBRATIONS: list[Callable[[], dict[str, float]]] = [argon2]


RATIOS: list[Ratio] = [
    Ratio("/me req/s ÷ ceiling /select1 req/s", "me.rps", "select1.rps"),
    Ratio("/me req/s ÷ ceiling /plain req/s", "me.rps", "plain.rps"),
    Ratio("logins/s ÷ argon2 limit (workers ÷ one verify)", "login.rps", "argon2.login_limit_rps"),
    Ratio("/me p50 during login storm ÷ alone", "storm.me.p50_ms", "me.p50_ms"),
    Ratio("/me p99 during login storm ÷ alone", "storm.me.p99_ms", "me.p99_ms"),
    Ratio("/me req/s during login storm ÷ alone", "storm.me.rps", "me.rps"),
    # The other side of the storm: sign-ins must still get through while readers are served.
    Ratio("logins/s during login storm ÷ alone", "storm.login.rps", "login.rps"),
]
