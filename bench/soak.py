"""The load and soak scenario (bench/README.md, "Load and soak"; `--only soak`).

A realistic mix of requests against `commentsvc serve --workers 2` over the seeded comments for
``--soak-seconds`` (10 minutes by default): 90 % reads (thread pages of many articles, anonymous
and signed in; /counts of listings), 8 % writes by signed-in readers (comments and replies, each
with an Idempotency-Key; votes) and 2 % sign-ins with the accounts' real passwords.

The load comes from this module's own client, not wrk: ``--connections`` asyncio tasks sharing
one aiohttp session (a connection each), each sending its next request once the last is
answered (a closed loop, like wrk). aiohttp rather than httpx: a tenth of the CPU per request
(httpx's pure-Python parsing would take a core of the two for a few hundred requests/s). That
costs some CPU still, but every answer is accounted for: by kind and status (4xx, 429 and
5xx apart, and requests that got no answer), and for posts, the id of every comment accepted
(201). A post that got no answer or a 5xx is sent again with the same Idempotency-Key until it
gets a definite one, as a careful client would, so no comment is left in doubt; one accepted
post in REPLAY_EVERY is sent again on purpose and must come back with the same id.

Meanwhile, several times per window: the RSS of each uvicorn worker (the serve process's
children, from /proc/<pid>/status) and the PostgreSQL connections held on the run's database
(pg_stat_activity). Each window prints one line as it ends. Afterwards: the figures of each kind
of request over the whole run, the workers' memory trend, and the database checked against what
the client was told: the comments posted since the start are exactly the accepted ones, each
on its article by its author; articles' comment_count and comments' score agree with the rows.
Then one PASS/FAIL line each for: no comment lost (or added), no 5xx, no memory growth. A FAIL
is a problem of the soak's row: it fails the run.

scenarios.py lists this scenario in SCENARIOS; this module reaches scenarios.py only inside
functions (the two modules import each other).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import random
import secrets
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import asyncpg
import harness
import seed
from harness import BenchError, Measurement, say

from commentsvc.config import load_settings
from commentsvc.store.pool import BATCHES_POOL_SIZE

if TYPE_CHECKING:
    from scenarios import Context

# The mix: shares of the requests sent (each task draws its next request from it).
MIX: dict[str, float] = {
    "thread.anon": 0.50,  # the first page of a thread, no token: what most readers get (cached)
    "thread.signed": 0.15,  # the same signed in: never cached
    "counts": 0.25,  # /counts for a listing of LISTING_SIZES articles
    "post": 0.04,  # a comment or a reply, signed in, with an Idempotency-Key
    "vote": 0.04,  # up, down or withdrawn, on a published comment by someone else
    "login": 0.02,  # by username or email, with the real password: argon2's cost
}
REPLAY = "post.replay"  # an accepted post sent again with its key (not drawn from MIX)
# Each window also shows the p99 of reads alone: sign-ins (2 %) can take seconds and fill the p99.
READS = ("thread.anon", "thread.signed", "counts")
KINDS = (*MIX, REPLAY)
SORTS = {"oldest": 0.7, "newest": 0.2, "top": 0.1}  # of thread pages
LISTING_SIZES = (10, 20, 50, 100)  # keys per /counts request
UNSEEN_EVERY = 10  # one listing in ten has a key nobody commented on, new each time: a miss
REPLY_SHARE = 0.5  # of posts; some answer a comment posted during the soak
NEW_ARTICLE_EVERY = 20  # one post in twenty opens a new article
FRESH_SHARE = 0.3  # of replies and votes: aimed at a comment accepted during the soak
REPLAY_EVERY = 20
RETRIES = 5  # for a post without a definite answer
RETRY_PAUSE_S = 1.0
TIMEOUT_S = 30  # a request this slow counts as failed
MIN_SECONDS = 20  # --soak-seconds: ten windows of 2 s at least
WINDOWS = 10  # at least, for short runs
WINDOW_S = 30  # at most
SAMPLES_PER_WINDOW = 3  # memory and connections
WARMED_UP = 0.1  # share of the run after which memory is expected to be settled
# No memory growth: over the second half of the run, each worker's RSS grows by less than this,
# by a least-squares fit (slope × the half's length; a leak of a few dozen bytes per request
# shows in 10 minutes). A short run is still warming up, and its half too short to reach it.
GROWTH_LIMIT_MB = 5.0
KEPT_BODIES = 5  # error answers kept per kind and status, for the report
MB = 1024 * 1024


@dataclass
class Tally:
    """The answers to one kind of request, or to all, in one window or over the whole run."""

    times_ms: list[float] = field(default_factory=list)  # of every answer
    client_errors: int = 0  # 4xx but 429
    throttled: int = 0  # 429
    server_errors: int = 0  # 5xx
    failed: int = 0  # no answer: connection error or timeout

    def add(self, ms: float, status: int | None) -> None:
        if status is None:
            self.failed += 1
            return
        self.times_ms.append(ms)
        if status == 429:
            self.throttled += 1
        elif 400 <= status < 500:
            self.client_errors += 1
        elif status >= 500:
            self.server_errors += 1

    @classmethod
    def merged(cls, tallies: Iterable[Tally]) -> Tally:
        total = cls()
        for t in tallies:
            total.times_ms += t.times_ms
            total.client_errors += t.client_errors
            total.throttled += t.throttled
            total.server_errors += t.server_errors
            total.failed += t.failed
        return total

    @property
    def requests(self) -> int:
        return len(self.times_ms) + self.failed

    @property
    def non_2xx(self) -> int:
        return self.client_errors + self.throttled + self.server_errors

    def figures(self, seconds: float) -> dict[str, float]:
        ordered = sorted(self.times_ms)
        return {
            "requests": self.requests,
            "rps": self.requests / seconds if seconds > 0 else 0.0,
            "p50_ms": statistics.median(ordered) if ordered else 0.0,
            "p90_ms": harness.percentile(ordered, 90),
            "p99_ms": harness.percentile(ordered, 99),
            "max_ms": ordered[-1] if ordered else 0.0,
            "4xx": self.client_errors,
            "429": self.throttled,
            "5xx": self.server_errors,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class Sample:
    at_s: float  # since the load started
    rss_mb: dict[int, float]  # worker pid: VmRSS
    connections: int  # held on the run's database by the service
    active: int  # of which running a query


@dataclass
class Window:
    start_s: float
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    cpu: harness.CpuUse = field(default_factory=harness.CpuUse)
    client_cpu_s: float = field(default_factory=time.process_time)
    accepted: int = 0  # posts accepted (201) in it
    line: dict[str, object] = field(default_factory=dict)  # its figures, once closed


@dataclass(frozen=True)
class Answer:
    status: int
    replayed: bool  # Idempotent-Replayed: true
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass(frozen=True)
class Accepted:
    """A comment the service accepted (201), as the client posted it."""

    account: int  # index into the accounts
    article: str
    status: str  # approved or pending


def soak(ctx: Context) -> list[Measurement]:
    seconds = ctx.options.soak_seconds
    window_s = min(WINDOW_S, seconds / WINDOWS)
    load = Soak(ctx, seconds, window_s)
    return [asyncio.run(load.run())]


class Soak:
    def __init__(self, ctx: Context, seconds: float, window_s: float) -> None:
        self.ctx = ctx
        self.seconds = seconds
        self.window_s = window_s
        self.data = ctx.data
        self.accounts = ctx.accounts
        self.tokens = [a.access_token for a in ctx.accounts]  # renewed by each sign-in
        self.run_token = secrets.token_hex(4)  # in every body and Idempotency-Key of this run
        self.numbers = itertools.count(1)
        # Readers go where the others go: article popularity falls off as 1/rank (a seeded order).
        ranked = list(self.data.articles)
        random.Random(seed.SEED + 3).shuffle(ranked)
        self.read_keys = [self.data.thread_200, self.data.thread_5000, *ranked]
        self.read_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.read_keys))))
        self.write_keys = ranked  # replies need seeded comments to answer (data.replyable)
        self.write_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(ranked))))
        self.windows: list[Window] = []
        self.windows_count = math.ceil(seconds / window_s - 1e-9)
        self.kept: dict[str, list[str]] = {}  # "kind status": some error answers
        self.accepted: dict[int, Accepted] = {}  # comment id
        self.fresh: dict[str, list[int]] = {}  # per article: published comments accepted during the soak
        self.fresh_ids: list[int] = []
        self.replays = 0
        self.problems: list[str] = []  # found while the load runs (a replay with another id)
        self.unresolved: list[str] = []  # posts without a definite answer after every retry
        self.samples: list[Sample] = []
        self.restarts: list[str] = []
        self.started = 0.0
        self.ended = asyncio.Event()

    # --- the run -----------------------------------------------------------------------------

    async def run(self) -> Measurement:
        import scenarios

        ctx = self.ctx
        connections = ctx.options.connections
        async with (
            harness.connection(ctx.run.database_url) as conn,
            aiohttp.ClientSession(
                ctx.base_url,
                connector=aiohttp.TCPConnector(limit=connections),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                cookie_jar=aiohttp.DummyCookieJar(),  # each request stands alone, as wrk's do
            ) as http,
        ):
            self.conn = conn
            self.http = http
            self.pids = worker_pids(ctx.server_pid)
            if len(self.pids) != scenarios.WORKERS:
                raise BenchError(
                    f"found {len(self.pids)} uvicorn workers under pid {ctx.server_pid}, not {scenarios.WORKERS}"
                )
            last_before = await conn.fetchval("SELECT coalesce(max(id), 0) FROM comments")
            await self.sample()  # at the start, before any load
            say(
                f"bench: soak: {self.seconds:.0f} s, {connections} concurrent clients, windows of "
                f"{self.window_s:.0f} s; workers {', '.join(map(str, self.pids))}"
            )
            self.print_header()
            whole = harness.CpuUse()
            client_cpu = time.process_time()
            self.started = time.monotonic()
            self.windows.append(Window(0.0))
            deadline = self.started + self.seconds
            monitor = asyncio.create_task(self.monitor())
            tasks = [asyncio.create_task(self.client_task(i, deadline)) for i in range(connections)]
            try:
                await asyncio.gather(*tasks)
                self.ended.set()
                await monitor  # it does not query PostgreSQL once this is set: the connection is ours
            finally:
                for task in (monitor, *tasks):
                    task.cancel()
            elapsed = time.monotonic() - self.started
            await self.sample()
            self.close_window(len(self.windows) - 1, time.monotonic())
            shares = whole.shares()
            client_share = (time.process_time() - client_cpu) / (elapsed * (os.cpu_count() or 1))
            checked = await check_database(conn, self, last_before)
        return self.report(elapsed, shares, client_share, checked)

    async def client_task(self, index: int, deadline: float) -> None:
        """One concurrent client: draws requests from MIX until the deadline. What is under way
        then is finished, never cancelled: a post's answer must be known."""
        kinds, weights = list(MIX), list(itertools.accumulate(MIX.values()))
        sends = {
            "thread.anon": self.read,
            "thread.signed": self.read,
            "counts": self.counts,
            "post": self.post,
            "vote": self.vote,
            "login": self.login,
        }
        rng = random.Random(f"{seed.SEED}-soak-{index}")
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, cum_weights=weights)[0]
            await sends[kind](rng, kind)

    async def send(self, kind: str, method: str, path: str, **kwargs: object) -> Answer | None:
        """One request, tallied in the window it ends in; None: no answer."""
        started = time.monotonic()
        try:
            async with self.http.request(method, path, **kwargs) as response:  # type: ignore[arg-type]
                answer = Answer(
                    response.status,
                    response.headers.get("Idempotent-Replayed") == "true",
                    await response.read(),
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.tally(kind, started, None, f"{type(exc).__name__}: {exc}")
            return None
        error = answer.body.decode(errors="replace") if answer.status >= 400 else ""
        self.tally(kind, started, answer.status, error)
        return answer

    def window(self) -> Window:
        """The window now is in (the last one once the load's time is up)."""
        index = min(int(self.elapsed() / self.window_s), self.windows_count - 1)
        while len(self.windows) <= index:  # opened by the first answer in it, or by the monitor
            self.windows.append(Window(len(self.windows) * self.window_s))
        return self.windows[index]

    def tally(self, kind: str, started: float, status: int | None, error: str) -> None:
        self.window().tallies[kind].add((time.monotonic() - started) * 1000, status)
        if error:
            kept = self.kept.setdefault(f"{kind} {status or 'no answer'}", [])
            if len(kept) < KEPT_BODIES:
                kept.append(error[:300])

    # --- the requests ------------------------------------------------------------------------

    def bearer(self, account: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[account]}"}

    async def read(self, rng: random.Random, kind: str) -> None:
        import scenarios

        key = rng.choices(self.read_keys, cum_weights=self.read_weights)[0]
        sort = rng.choices(list(SORTS), weights=list(SORTS.values()))[0]
        signed = kind == "thread.signed"
        headers = self.bearer(rng.randrange(len(self.accounts))) if signed else {}
        await self.send(kind, "GET", scenarios.thread_path(key, sort), headers=headers)

    async def counts(self, rng: random.Random, kind: str) -> None:
        import scenarios

        size = rng.choice(LISTING_SIZES)
        start = rng.randrange(len(self.data.articles) - size + 1)
        keys = self.data.articles[start : start + size]
        if rng.randrange(UNSEEN_EVERY) == 0:
            keys = [*keys[1:], f"unseen-{self.run_token}-{next(self.numbers)}"]
        await self.send(kind, "GET", scenarios.counts_path(keys))

    async def post(self, rng: random.Random, kind: str) -> None:
        import scenarios

        account = rng.randrange(len(self.accounts))
        n = next(self.numbers)
        if n % NEW_ARTICLE_EVERY == 0:
            key, parent_id = f"soak-{self.run_token}-{n}", None
        else:
            key = rng.choices(self.write_keys, cum_weights=self.write_weights)[0]
            parent_id = None
            if rng.random() < REPLY_SHARE:
                fresh = self.fresh.get(key)
                use_fresh = fresh and rng.random() < FRESH_SHARE
                parent_id = rng.choice(fresh) if use_fresh else rng.choice(self.data.replyable[key])
        body = scenarios.new_comment(key, f"{seed.text(rng)}\n\n(soak {self.run_token}-{n})", parent_id)
        idempotency_key = f"soak-{self.run_token}-{n}"
        headers = {**self.bearer(account), "Idempotency-Key": idempotency_key}
        for attempt in range(1 + RETRIES):
            response = await self.send(kind, "POST", scenarios.POST_PATH, json=body, headers=headers)
            if response is not None and response.status < 500:
                break
            # No answer, or a 5xx: it may have been stored or not; the key makes asking again safe.
            await asyncio.sleep(RETRY_PAUSE_S * (attempt + 1))
        else:
            self.unresolved.append(idempotency_key)
            return
        if response.status != 201:
            return  # refused (tallied): nothing stored
        comment = response.json()
        if response.replayed and attempt == 0:
            self.problems.append(f"a post with the new key {idempotency_key} was answered as a replay")
        self.accept(comment, account, key)
        if n % REPLAY_EVERY == 0:  # as a client whose answer was lost would: the same request, the same key
            self.replays += 1
            again = await self.send(REPLAY, "POST", scenarios.POST_PATH, json=body, headers=headers)
            if again is not None and again.status == 201:
                if not again.replayed or again.json()["id"] != comment["id"]:
                    self.problems.append(
                        f"the replay of {idempotency_key} got comment {again.json()['id']} "
                        f"(replayed: {again.replayed}), the first {comment['id']}"
                    )

    def accept(self, comment: dict, account: int, key: str) -> None:
        self.accepted[comment["id"]] = Accepted(account, key, comment["status"])
        self.window().accepted += 1
        if comment["status"] == "approved":
            self.fresh.setdefault(key, []).append(comment["id"])
            self.fresh_ids.append(comment["id"])

    async def vote(self, rng: random.Random, kind: str) -> None:
        account = rng.randrange(len(self.accounts))
        comment_id = None
        if self.fresh_ids and rng.random() < FRESH_SHARE:
            candidate = rng.choice(self.fresh_ids)
            if self.accepted[candidate].account != account:  # never on one's own
                comment_id = candidate
        if comment_id is None:
            key = rng.choices(self.write_keys, cum_weights=self.write_weights)[0]
            comment_id = rng.choice(self.data.replyable[key])
        value = rng.choice((1, 1, 1, -1, 0))
        path = f"/api/v1/comments/{comment_id}/vote"
        await self.send(kind, "PUT", path, json={"value": value}, headers=self.bearer(account))

    async def login(self, rng: random.Random, kind: str) -> None:
        import scenarios

        account = rng.randrange(len(self.accounts))
        body = scenarios.login_body(self.accounts[account], by_username=rng.random() < 0.5)
        response = await self.send(kind, "POST", scenarios.LOGIN_PATH, json=body)
        if response is not None and response.status == 200:
            self.tokens[account] = response.json()["access_token"]

    # --- what is watched ---------------------------------------------------------------------

    async def monitor(self) -> None:
        """Samples memory and connections SAMPLES_PER_WINDOW times per window and closes each
        window but the last (closed once the load has ended) as its time is up."""
        for index in range(self.windows_count - 1):
            for step in range(1, SAMPLES_PER_WINDOW + 1):
                due = self.started + (index + step / SAMPLES_PER_WINDOW) * self.window_s
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await self.sample()
            self.window()  # the next one starts now (its CPU use with it)
            self.close_window(index, time.monotonic())
        while not self.ended.is_set():  # the last window: until the load has ended
            try:
                await asyncio.wait_for(self.ended.wait(), self.window_s / SAMPLES_PER_WINDOW)
            except TimeoutError:
                await self.sample()

    async def sample(self) -> None:
        pids = worker_pids(self.ctx.server_pid)
        if set(pids) != set(self.pids):
            self.restarts.append(f"at {self.elapsed():.0f} s the workers were {pids}, before {self.pids}")
            self.pids = pids
        connections, active = await self.conn.fetchrow(
            """SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""
        )
        rss = {pid: mb for pid in pids if (mb := rss_mb(pid)) is not None}
        self.samples.append(Sample(self.elapsed(), rss, connections, active))

    def elapsed(self) -> float:
        return time.monotonic() - self.started if self.started else 0.0

    def close_window(self, index: int, now: float) -> None:
        window = self.windows[index]
        seconds = now - self.started - window.start_s
        figures = Tally.merged(window.tallies.values()).figures(seconds)
        reads = sorted(itertools.chain.from_iterable(window.tallies[kind].times_ms for kind in READS))
        shares = window.cpu.shares()
        cpu = shares[0] if shares else {}
        client = (time.process_time() - window.client_cpu_s) / (seconds * (os.cpu_count() or 1))
        last = self.samples[-1]
        window.line = {
            "start_s": round(window.start_s, 1),
            "seconds": round(seconds, 1),
            **figures,
            "reads_p99_ms": harness.percentile(reads, 99),
            "posts_accepted": window.accepted,
            "rss_mb": [last.rss_mb.get(pid) for pid in self.pids],
            "pg_connections": last.connections,
            "pg_active": last.active,
            "cpu": split_client(cpu, client),
        }
        self.print_line(window.line)

    # --- printing ----------------------------------------------------------------------------

    def print_header(self) -> None:
        print(
            f"\nsoak: the mix for {self.seconds:.0f} s at {len(self.pids)} workers, "
            f"{self.ctx.options.connections} concurrent clients, by windows of {self.window_s:.0f} s"
        )
        header = f"{'from s':>7}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'reads p99':>10}"
        header += f"{'4xx':>6}{'429':>6}{'5xx':>6}{'fail':>6}"
        header += f"{'posted':>8}{'RSS MB (each worker)':>22}{'pg conns':>10}"
        header += f"{'cpu: svc':>10}{'client':>7}{'pg':>5}{'redis':>6}{'other':>6}{'idle':>5}"
        print(header + "\n" + "-" * len(header), flush=True)

    @staticmethod
    def print_line(line: dict) -> None:
        rss = " / ".join(f"{mb:.1f}" if mb is not None else "-" for mb in line["rss_mb"])
        cpu = line["cpu"]
        print(
            f"{line['start_s']:>7.0f}{line['rps']:>8.1f}{line['p50_ms']:>8.1f}{line['p99_ms']:>8.1f}"
            f"{line['reads_p99_ms']:>10.1f}"
            f"{line['4xx']:>6}{line['429']:>6}{line['5xx']:>6}{line['failed']:>6}{line['posts_accepted']:>8}"
            f"{rss:>22}{line['pg_connections']:>5} ({line['pg_active']:>2})"
            f"{cpu.get('server', 0):>10.0%}{cpu.get('wrk', 0):>7.0%}{cpu.get('postgres', 0):>5.0%}"
            f"{cpu.get('redis', 0):>6.0%}{cpu.get('others', 0):>6.0%}{cpu.get('idle', 0):>5.0%}",
            flush=True,
        )

    def report(
        self, elapsed: float, shares: tuple[dict[str, float], str] | None, client_cpu: float, checked: dict
    ) -> Measurement:
        print("(from s: the window's start; reads p99: thread pages and counts only; RSS and connections:")
        print(" the last sample in it, active ones in brackets; cpu: share of all cores, svc the servers,")
        print(" client this bench's own process)")
        by_kind = {kind: Tally.merged(w.tallies[kind] for w in self.windows) for kind in KINDS}
        total = Tally.merged(by_kind.values())
        figures = {kind: tally.figures(elapsed) for kind, tally in {**by_kind, "all": total}.items()}
        self.print_kinds(figures)
        memory = memory_trend(self.samples, self.seconds)
        self.print_memory(memory)
        self.print_database(checked)
        checks = self.checks(total, memory, checked)
        print(
            f"\nsoak: checks (memory: each worker under {GROWTH_LIMIT_MB:g} MB over the second half, fitted)"
        )
        for label, ok, detail in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {label:<30}{detail}")
        details = {
            "seconds": elapsed,
            "window_s": self.window_s,
            "mix": MIX,
            "windows": [w.line for w in self.windows],
            "kinds": figures,
            "errors_kept": self.kept,
            "memory": {str(pid): m for pid, m in memory.items()},
            "samples": [asdict(s) for s in self.samples],
            "restarts": self.restarts,
            "database": checked,
            "accepted": len(self.accepted),
            "replays": self.replays,
            "unresolved": self.unresolved,
            "problems_seen": self.problems,
            "checks": [{"check": label, "pass": ok, "detail": detail} for label, ok, detail in checks],
        }
        return harness.observed(
            "soak",
            self.ctx.base_url,
            self.ctx.options.connections,
            elapsed,
            total.times_ms,
            total.requests / elapsed,
            (split_client(shares[0], client_cpu), shares[1]) if shares else None,
            details,
            [f"soak: {label}: {detail}" for label, ok, detail in checks if not ok],
            non_2xx=total.non_2xx,
            socket_errors=total.failed,
        )

    def print_kinds(self, figures: dict[str, dict[str, float]]) -> None:
        print("\nsoak: each kind of request over the whole run")
        header = (
            f"{'kind':<15}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>9}"
        )
        header += f"{'4xx':>6}{'429':>6}{'5xx':>6}{'fail':>6}"
        print(header + "\n" + "-" * len(header))
        for kind, f in figures.items():
            print(
                f"{kind:<15}{f['requests']:>9}{f['rps']:>8.1f}{f['p50_ms']:>8.1f}{f['p90_ms']:>8.1f}"
                f"{f['p99_ms']:>8.1f}{f['max_ms']:>9.1f}{f['4xx']:>6}{f['429']:>6}{f['5xx']:>6}{f['failed']:>6}"
            )
        for what, answers in self.kept.items():
            more = f" (and {len(answers) - 1} more kept)" if len(answers) > 1 else ""
            print(f"    {what}: {answers[0]}{more}")

    def print_memory(self, memory: dict[int, dict[str, float]]) -> None:
        print("\nsoak: RSS of each uvicorn worker (MB)")
        header = f"{'worker':<10}{'start':>8}{'warmed':>8}{'half':>8}{'end':>8}{'end-warmed':>12}"
        header += f"{'2nd half: MB/min':>18}{'MB':>7}"
        print(header + "\n" + "-" * len(header))
        for pid, m in memory.items():
            print(
                f"{pid:<10}{m['start']:>8.1f}{m['warmed']:>8.1f}{m['half']:>8.1f}{m['end']:>8.1f}"
                f"{m['end'] - m['warmed']:>+12.1f}{m['slope_mb_per_min']:>+18.2f}{m['second_half_mb']:>+7.1f}"
            )
        print(
            f"(start: before the load; warmed: at {WARMED_UP:.0%} of the run; half: at half; the second "
            "half's growth is a least-squares fit)"
        )
        for restart in self.restarts:
            print(f"    !!! a worker was replaced: {restart} !!!")
        held = [s.connections for s in self.samples[1:]]
        pool_size = load_settings({}).db_pool_size + BATCHES_POOL_SIZE  # per worker
        print(
            f"\nsoak: PostgreSQL connections held by the service: {min(held)} to {max(held)}, median "
            f"{statistics.median(held):.0f} (the pools allow {len(self.pids) * pool_size}); "
            f"before the load {self.samples[0].connections}"
        )

    def print_database(self, c: dict) -> None:
        print("\nsoak: the database against what the client was told")
        print(
            f"posts accepted (201): {len(self.accepted):,} ({c['pending']} held for moderation), replays "
            f"sent on purpose: {self.replays}, posts left without a definite answer: {len(self.unresolved)}"
        )
        print(
            f"comments stored since the start: {c['rows']:,}; missing: {c['missing']}, extra: {c['extra']}, "
            f"on another article or by another author: {c['misplaced']}"
        )
        print(
            f"articles whose comment_count is not their approved comments: {c['bad_counts']}; comments whose "
            f"score is not their votes' sum: {c['bad_scores']}"
        )
        for problem in self.problems[:KEPT_BODIES]:
            print(f"    !!! {problem} !!!")

    def checks(
        self, total: Tally, memory: dict[int, dict[str, float]], c: dict
    ) -> list[tuple[str, bool, str]]:
        """(label, passed, detail) of each check; a failed one fails the run."""
        lost = c["missing"] + c["extra"] + c["misplaced"] + len(self.unresolved) + len(self.problems)
        growth = "; ".join(
            f"worker {pid}: {m['second_half_mb']:+.1f} MB over the second half, {m['end'] - m['warmed']:+.1f} "
            "since warmed up"
            for pid, m in memory.items()
        )
        grown = any(m["second_half_mb"] >= GROWTH_LIMIT_MB for m in memory.values())
        return [
            (
                "zero lost comments",
                lost == 0,
                f"{len(self.accepted):,} accepted, {c['rows']:,} stored, {c['missing']} missing, "
                f"{c['extra']} extra, {c['misplaced']} misplaced, {len(self.unresolved)} unresolved, "
                f"{len(self.problems)} wrong replays",
            ),
            (
                "zero 5xx",
                total.server_errors == 0,
                f"{total.server_errors} answered 5xx, {total.failed} unanswered",
            ),
            (
                "no memory growth",
                not grown and not self.restarts,
                growth + (f"; {len(self.restarts)} worker(s) replaced" if self.restarts else ""),
            ),
            (
                "counts and scores consistent",
                c["bad_counts"] == 0 and c["bad_scores"] == 0,
                f"{c['bad_counts']} articles, {c['bad_scores']} comments off",
            ),
        ]


def split_client(cpu: dict[str, float], client: float) -> dict[str, float]:
    """CpuUse counts this process (the client) with the servers, as one of the bench's own
    processes: move it to the load generator's column ("wrk")."""
    return {**cpu, "server": max(0.0, cpu.get("server", 0.0) - client), "wrk": cpu.get("wrk", 0.0) + client}


# --- processes and the database ------------------------------------------------------------------


def worker_pids(server_pid: int) -> list[int]:
    """uvicorn's workers: the children of its supervisor started by multiprocessing's spawn (not
    its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # it ended
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if parent == server_pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    return None


def memory_trend(samples: Sequence[Sample], seconds: float) -> dict[int, dict[str, float]]:
    """Each worker's RSS at the start, once warmed up, at half time and at the end, and the
    least-squares slope of its RSS over the second half, in MB per minute."""
    trend = {}
    for pid in samples[-1].rss_mb:
        series = [(s.at_s, s.rss_mb[pid]) for s in samples if pid in s.rss_mb]

        def at(t: float, series: list[tuple[float, float]] = series) -> float:
            return next((mb for at_s, mb in series if at_s >= t), series[-1][1])

        second_half = [(t, mb) for t, mb in series if t >= seconds / 2]
        trend[pid] = {
            "start": series[0][1],
            "warmed": at(seconds * WARMED_UP),
            "half": at(seconds / 2),
            "end": series[-1][1],
            "slope_mb_per_min": slope(second_half) * 60,
            "second_half_mb": slope(second_half) * (series[-1][0] - seconds / 2),
        }
    return trend


def slope(points: Sequence[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


async def check_database(conn: asyncpg.Connection, load: Soak, last_before: int) -> dict[str, int]:
    """The comments stored since the start against those the client was told were accepted."""
    rows = await conn.fetch(
        """SELECT c.id, a.key, u.username, s.slug FROM comments c JOIN articles a ON a.id = c.article_id
           JOIN sites s ON s.id = a.site_id LEFT JOIN users u ON u.id = c.author_id WHERE c.id > $1""",
        last_before,
    )
    stored = {row["id"]: row for row in rows}
    misplaced = sum(
        1
        for comment_id, accepted in load.accepted.items()
        if (row := stored.get(comment_id)) is not None
        and (row["slug"], row["key"], row["username"])
        != (seed.SITE, accepted.article, load.accounts[accepted.account].username)
    )
    bad_counts = await conn.fetchval(
        """SELECT count(*) FROM articles a WHERE a.site_id = $1 AND a.comment_count <>
             (SELECT count(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'approved')""",
        load.data.site_id,
    )
    bad_scores = await conn.fetchval(
        """SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id
           LEFT JOIN (SELECT comment_id, sum(value) AS total FROM votes GROUP BY comment_id) v ON v.comment_id = c.id
           WHERE a.site_id = $1 AND c.score <> coalesce(v.total, 0)""",
        load.data.site_id,
    )
    return {
        "last_id_before": last_before,
        "rows": len(stored),
        "missing": len(load.accepted.keys() - stored.keys()),
        "extra": len(stored.keys() - load.accepted.keys()),
        "misplaced": misplaced,
        "pending": sum(1 for a in load.accepted.values() if a.status == "pending"),
        "bad_counts": bad_counts,
        "bad_scores": bad_scores,
    }
