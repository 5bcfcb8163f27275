"""Live updates under load (`--only live`): STREAMS Server-Sent Events streams held open on the
service's two workers, how soon a published comment reaches every one of them, and what holding
them costs the anonymous reads (thread page and counts), measured without and with them in the
same run."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import harness
import httpx
from harness import BenchError, Measurement

if TYPE_CHECKING:  # scenarios imports this module: Run and Context only inside functions
    from scenarios import Account, Context, Run

LIVE_SITE = "bench-live"
ARTICLE = "live-article"
COUNTED = [f"live-article-{n}" for n in range(20)]
STREAMS = 2000
AUTHORS = 20
SEEDED_COMMENTS = 50
ANNOUNCED = 20  # comments posted, one at a time, while the streams are held
POST_EVERY_SECONDS = 0.25
HEARD_WITHIN_SECONDS = 10.0  # past this, a stream that never heard a comment is a problem
OPEN_BATCH = 100  # streams opened at once (the listen backlog, and the accept loop, take them in turn)
_COMMENT = re.compile(rb'event: comment\nid: \d+\ndata: \{"id":(\d+)')


@contextlib.contextmanager
def live_service(run: Run) -> Iterator[Context]:
    """`commentsvc serve` (every rate limit lifted; the per-address cap on streams too, as they all
    come from here), a site whose comments are published at once, AUTHORS authors, an article
    with SEEDED_COMMENTS comments and COUNTED articles with one each."""
    import scenarios

    harness.cli(run.database_url, "site", "create", LIVE_SITE, "--origin", "https://live.bench.example.org",
                "--moderation", "post", "--burst", "10000/1m")  # fmt: skip
    with scenarios._serve(run, "commentsvc-live.log", COMMENTSVC_LIVE_MAX_PER_ADDRESS=str(2 * STREAMS)) as (
        base_url,
        pid,
    ):
        authors = asyncio.run(scenarios._register(base_url, AUTHORS, "bench_live"))
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for n in range(SEEDED_COMMENTS):
                _post(client, authors[n % AUTHORS], ARTICLE, f"Commentaire de départ n°{n}")
            for n, key in enumerate(COUNTED):
                _post(client, authors[n % AUTHORS], key, f"Premier commentaire de {key}")
        yield scenarios.Context(run, base_url, pid, authors)


def _post(client: httpx.Client, author: Account, key: str, body: str) -> dict:
    response = client.post(
        f"/api/v1/sites/{LIVE_SITE}/comments",
        json={"article": key, "body": body},
        headers={"Authorization": f"Bearer {author.access_token}"},
    )
    if response.status_code != 201:
        raise BenchError(f"posting to {key} answered {response.status_code}: {response.text}")
    return response.json()


def live(ctx: Context) -> list[Measurement]:
    """Thread page and counts (anonymous) alone; STREAMS streams opened; the same reads again;
    then ANNOUNCED comments posted one at a time, each timed from its POST to every stream."""
    thread = f"/api/v1/sites/{LIVE_SITE}/comments?" + urlencode({"article": ARTICLE})
    counts = f"/api/v1/sites/{LIVE_SITE}/counts?" + urlencode([("article", k) for k in COUNTED])
    found: list[Measurement] = []
    for name, path in (("thread", thread), ("counts", counts)):
        load = ctx.load(f"live-{name}-alone", path, ctx.options.connections)
        found.append(harness.measure(f"live.{name}.alone", load, ctx.options.warmup))
    with Streams(
        ctx.base_url, f"/api/v1/sites/{LIVE_SITE}/live?" + urlencode({"article": ARTICLE})
    ) as streams:
        harness.say(f"bench: live: {STREAMS} streams open in {streams.opened_in:.1f} s")
        for name, path in (("thread", thread), ("counts", counts)):
            load = ctx.load(f"live-{name}-streams", path, ctx.options.connections)
            found.append(harness.measure(f"live.{name}.streams", load, ctx.options.warmup))
        found.append(_deliveries(ctx, streams))
    return found


def _deliveries(ctx: Context, streams: Streams) -> Measurement:
    posted: dict[int, float] = {}
    started = time.monotonic()
    with httpx.Client(base_url=ctx.base_url, timeout=30) as client:
        for n in range(ANNOUNCED):
            sent = time.monotonic()
            comment = _post(client, ctx.accounts[n % AUTHORS], ARTICLE, f"Commentaire en direct n°{n}")
            posted[comment["id"]] = sent
            time.sleep(POST_EVERY_SECONDS)
    deadline = time.monotonic() + HEARD_WITHIN_SECONDS
    while time.monotonic() < deadline and any(len(streams.heard(id)) < STREAMS for id in posted):
        time.sleep(0.05)
    seconds = time.monotonic() - started
    times_ms = [(at - sent) * 1000 for id, sent in posted.items() for at in streams.heard(id)]
    missed = sum(STREAMS - len(streams.heard(id)) for id in posted)
    problems = (
        [f"{missed} announcements never reached their stream within {HEARD_WITHIN_SECONDS:g} s"]
        if missed
        else []
    )
    return harness.observed(
        "live.delivery",
        ctx.base_url + streams.path,
        STREAMS,
        seconds,
        times_ms,
        len(times_ms) / seconds,
        None,
        {"comments": ANNOUNCED, "streams": STREAMS, "streams_lost": streams.lost},
        problems,
    )


class Streams:
    """STREAMS streams of the live route held by an event loop in a thread of its own, noting
    when each stream heard each comment."""

    def __init__(self, base_url: str, path: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, path
        self._heard: dict[int, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: list[asyncio.Task[None]] = []
        self.lost = 0
        self.opened_in = 0.0
        self._error: BaseException | None = None

    def heard(self, comment_id: int) -> list[float]:
        with self._lock:
            return list(self._heard.get(comment_id, ()))

    def __enter__(self) -> Streams:
        self._thread.start()
        started = time.monotonic()
        asyncio.run_coroutine_threadsafe(self._open_all(), self._loop).result(timeout=120)
        self.opened_in = time.monotonic() - started
        return self

    def __exit__(self, *_: object) -> None:
        async def close() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _open_all(self) -> None:
        for first in range(0, STREAMS, OPEN_BATCH):
            opened = [
                asyncio.get_running_loop().create_future()
                for _ in range(first, min(STREAMS, first + OPEN_BATCH))
            ]
            self._tasks += [asyncio.create_task(self._hold(future)) for future in opened]
            await asyncio.gather(*opened)

    async def _hold(self, opened: asyncio.Future[None]) -> None:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: text/event-stream\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise BenchError(f"a live stream was refused: {head.splitlines()[0].decode()}")
            opened.set_result(None)
            buffered = b""
            while chunk := await reader.read(65536):
                now = time.monotonic()
                buffered += chunk
                found = list(_COMMENT.finditer(buffered))
                if found:
                    with self._lock:
                        for match in found:
                            self._heard[int(match.group(1))].append(now)
                    buffered = buffered[found[-1].end() :]
                buffered = buffered[-512:]
            self.lost += 1
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.lost += 1
            if not opened.done():
                opened.set_exception(BenchError(f"a live stream could not be opened: {exc!r}"))
