"""The moderation and widget scenarios (bench/README.md, "Moderation and the widget").

- ``moderation``: moderators claim and decide 1,000 held comments through the API, one alone and
  then two at once (items/s, claim and decision latencies, every decision checked in
  PostgreSQL); 1,000 more decided 100 at a time with bulk decisions (each request's latency,
  checked the same way); and the queue rebuilt from PostgreSQL for 100,000 pending comments after Redis
  lost it (seconds, items/s, the stream's length checked);
- ``widget``: the bytes a first view downloads from the service, gzipped as sent, against the
  budget (a broken budget fails the run), and the time from navigation to the thread shown in
  Debian's Chromium, for a 200-comment thread.

These figures come from this module's own clients (httpx, Chromium), not from wrk: each scenario
prints its own section as it ends, and returns ``harness.Observed`` measurements for the main table and
the JSON file, with what does not fit the table's columns in ``details``. Checks that fail (an
item decided twice, a count that does not add up, a thread that never shows) stop the run with a
BenchError; a broken byte budget is a ``problem`` that fails the run once every figure is written.

scenarios.py lists these scenarios in SCENARIOS; this module reaches scenarios.py's servers and
Context only inside functions (the two modules import each other).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import asyncpg
import harness
import httpx
import redis
import seed
from harness import BenchError, Measurement, say

from commentsvc.domain import rendering
from commentsvc.i18n import LANGUAGES
from commentsvc.kv.keys import Keys

if TYPE_CHECKING:
    from scenarios import Account, Context, Run

LABEL = 58  # as run.py's lists
HTTP_TIMEOUT = 300  # seconds: a rebuild of 100,000 items is one long request

# --- moderation ---------------------------------------------------------------------------------

MODERATED_SITE = "bench-moderated"  # the 1,000 held comments, decided twice over (two articles)
REBUILD_SITE = "bench-rebuild"  # the 100,000 pending comments
MODERATORS = 2  # the first accounts registered; the others are readers
READERS = 10  # per run (two of decide, one of bulk), new ones: post the held comments, HELD / READERS each
# A moderator whose claim comes back empty while another's claim is still feeding the stream
# (the items are locked, not yet in it) tries again after this pause, for at most RETRY_S.
RETRY_PAUSE_S = 0.05
RETRY_S = 60
HELD = 1_000
POST_CONCURRENCY = 8
CLAIM_LIMIT = 50  # the most one claim may ask for
REJECT_EVERY = 10  # every tenth decision rejects, with a reason; the others approve
REJECT_REASON = "Hors sujet : merci de rester sur le thème de l'article."
BULK = 100  # comments per bulk decision: the most one may hold
BULK_ARTICLE = "held-in-bulk"
REBUILT = 100_000
REBUILD_ARTICLES = 100
REBUILD_AUTHORS = 1_000
DECISIONS = ("approve", "reject", "spam", "keep")  # the audit log's decision entries
UNQUEUED = (
    "SELECT count(*) FROM moderation_items WHERE site_id = $1 AND decision IS NULL AND queued_at IS NULL"
)

# --- widget -------------------------------------------------------------------------------------

WIDGET_SITE = "bench-widget"
WIDGET_ARTICLE = "un-tiers-lieu-pour-les-rassembler-tous"  # the demo article page's key
WIDGET_TITLE = "Un tiers-lieu pour les rassembler tous"
WIDGET_URL = (  # the demo page's canonical link
    "https://www.ardt-auvergne.fr/territoires/en-direct-des-territoires/un-tiers-lieu-pour-les-rassembler-tous"
)
TOP_LEVEL, REPLIES = 40, 4  # 200 comments
WIDGET_AUTHORS = 25
FIRST_PAGE = 20 * (1 + REPLIES)  # the widget's first page: 20 threads with their replies
LOADS = 10  # measured first views, after one unmeasured warm-up
SHOWN_TIMEOUT_S = 30
VIEWPORT = {"width": 1000, "height": 900}  # as the browser tests'
CHROMIUM = "/usr/bin/chromium"
# As the browser tests launch it: no sandbox as root, no calls to the outside world, and
# third-party frames keep (partitioned) storage, as most readers' browsers do.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=ThirdPartyCookieBlocking",
]
# The byte budget (gzipped bytes as sent): a miss fails the run; AIM is only shown.
BUDGET_TOTAL = 10_240  # loader + document + script + style
BUDGET_AIM = 6_144
BUDGET_LOADER = 1_536
BUDGET_COUNT = 1_024
# Logged by the widget's frame when the first page is in its DOM (added to every frame of a
# measured page before its own scripts run; acts only in the widget's document).
SHOWN = "commentsvc-bench: thread shown"
SHOWN_SCRIPT = """(() => {
  if (location.pathname !== "/embed") return;
  const observer = new MutationObserver(() => {
    if (document.querySelectorAll("article.comment").length >= %d) {
      observer.disconnect();
      console.log("%s");
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();"""


def _expect(response: httpx.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise BenchError(f"{what} answered {response.status_code} (expected {status}): {response.text[:300]}")
    return response.json() if response.content else {}


def _bearer(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}"}


def _ms(seconds: float) -> float:
    return seconds * 1000


def _line(label: str, value: str) -> None:
    print(f"{label:<{LABEL}}{value}")


# --- moderation: the server -------------------------------------------------------------------


@contextlib.contextmanager
def moderated(run: Run) -> Iterator[Context]:
    """`commentsvc serve` (every rate limit lifted, as scenarios.py serves it) with two
    pre-moderated sites that trust nobody (every comment is held), MODERATORS moderators of both
    and READERS readers for each run of ``decide``, all registered through the API;
    Context.accounts: the moderators first."""
    import scenarios

    for slug in (MODERATED_SITE, REBUILD_SITE):
        origin = f"https://{slug}.bench.example.org"
        harness.cli(run.database_url, "site", "create", slug, "--origin", origin, "--moderation", "pre",
                    "--trust-after", "0")  # fmt: skip
    with scenarios._serve(run, "commentsvc-moderation.log") as (base_url, pid):
        accounts = asyncio.run(scenarios._register(base_url, MODERATORS + 3 * READERS, "bench_mod"))
        for account in accounts[:MODERATORS]:
            for slug in (MODERATED_SITE, REBUILD_SITE):
                harness.cli(run.database_url, "user", "grant", account.username, "moderator", "--site", slug)
        yield scenarios.Context(run, base_url, pid, accounts)


# --- moderation: claim and decide -------------------------------------------------------------


def decide(ctx: Context) -> list[Measurement]:
    """HELD comments held, claimed and decided through the API by one moderator, then HELD more
    by two moderators at once; each run checked in PostgreSQL."""
    found: list[Measurement] = []
    runs = []
    for n, moderators in enumerate((1, MODERATORS)):
        # New readers each run: the authors' histories, which claims and decisions read, alike.
        readers = ctx.accounts[MODERATORS + n * READERS : MODERATORS + (n + 1) * READERS]
        measured, summary = asyncio.run(
            _decide_all(ctx, f"held-by-{moderators}", ctx.accounts[:moderators], readers)
        )
        found += measured
        runs.append(summary)
    print(f"\nmoderation: claim and decide {HELD:,} held comments through the API (claims of {CLAIM_LIMIT})")
    header = f"{'moderators':<12}{'items':>7}{'wall s':>8}{'items/s':>9}{'claims':>8}{'claim p50':>11}"
    header += f"{'claim p99':>11}{'decide p50':>12}{'decide p99':>12}{'1st claim':>11}{'empty':>7}  split"
    print(header + "\n" + "-" * (len(header) + 12))
    for s in runs:
        print(
            f"{s['moderators']:<12}{s['decided']:>7,}{s['wall_s']:>8.2f}{s['items_per_s']:>9.1f}{s['claims']:>8}"
            f"{s['claim_p50_ms']:>11.1f}{s['claim_p99_ms']:>11.1f}{s['decide_p50_ms']:>12.1f}"
            f"{s['decide_p99_ms']:>12.1f}{s['first_claim_ms']:>11.1f}{s['empty_claims']:>7}"
            f"  {' / '.join(map(str, s['split']))}"
        )
    print(
        "(times in ms; 1st claim: the claim that fed the stream from the outbox; empty: claims that came back\n"
        " empty while another moderator's claim was still feeding the stream, tried again; split: items decided\n"
        " by each moderator)"
    )
    for s in runs:
        print(
            f"checked, {s['moderators']} moderator(s): {s['decided']:,} items decided once each in PostgreSQL "
            f"(audit log: one decision per item), {s['approved']} approved and {s['rejected']} rejected, "
            f"comment_count {s['comment_count']} = approved"
        )
    return found


async def _decide_all(
    ctx: Context, article: str, moderators: list[Account], readers: list[Account]
) -> tuple[list[Measurement], dict]:
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=HTTP_TIMEOUT) as client:
        await _post_held(client, readers, article)
    conn = await asyncpg.connect(ctx.run.database_url)
    try:
        ids = dict(await conn.fetch(
            "SELECT username, id FROM users WHERE username = ANY($1::text[])", [m.username for m in moderators]
        ))  # fmt: skip
        site_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", MODERATED_SITE)
        claims: list[float] = []
        first: dict[int, float] = {}  # moderator id: their first claim (one of them feeds the stream)
        empty_claims = 0  # came back empty while items were still being fed to the stream
        decisions: list[float] = []
        decided: Counter[int] = Counter()  # item id: decisions sent
        by: Counter[int] = Counter()  # moderator id: items decided
        actions: Counter[str] = Counter()
        numbers = itertools.count(1)
        queue = f"/api/v1/sites/{MODERATED_SITE}/moderation/queue"

        async def moderate(moderator: Account) -> None:
            nonlocal empty_claims
            me = ids[moderator.username]
            headers = _bearer(moderator)
            deadline = time.monotonic() + RETRY_S
            async with (
                httpx.AsyncClient(base_url=ctx.base_url, timeout=HTTP_TIMEOUT, headers=headers) as client,
                harness.connection(ctx.run.database_url) as own,
            ):
                while True:
                    started = time.perf_counter()
                    response = await client.get(queue, params={"limit": CLAIM_LIMIT})
                    claims.append(_ms(time.perf_counter() - started))
                    first.setdefault(me, claims[-1])
                    items = _expect(response, 200, f"claiming ({moderator.username})")["items"]
                    if not items:
                        # Empty: done, unless another moderator's claim is still feeding the stream.
                        if not await own.fetchval(UNQUEUED, site_id) or time.monotonic() > deadline:
                            return
                        empty_claims += 1
                        await asyncio.sleep(RETRY_PAUSE_S)
                        continue
                    for item in items:
                        if item["claimed_by"] != me:
                            raise BenchError(
                                f"item {item['item_id']} was claimed for {item['claimed_by']}, not {me}"
                            )
                        action = "reject" if next(numbers) % REJECT_EVERY == 0 else "approve"
                        body = {"action": action, **({"reason": REJECT_REASON} if action == "reject" else {})}
                        started = time.perf_counter()
                        response = await client.post(
                            f"/api/v1/moderation/items/{item['item_id']}/decision", json=body
                        )
                        decisions.append(_ms(time.perf_counter() - started))
                        decision = _expect(response, 200, f"deciding item {item['item_id']}")["decision"]
                        if decision is None or decision["decided_by"] != me or decision["action"] != action:
                            raise BenchError(
                                f"item {item['item_id']}, claimed by {moderator.username}, was decided by "
                                f"someone else first: {decision}"
                            )
                        decided[item["item_id"]] += 1
                        by[me] += 1
                        actions[action] += 1

        cpu = harness.CpuUse()
        started = time.perf_counter()
        await asyncio.gather(*(moderate(m) for m in moderators))
        wall = time.perf_counter() - started
        shares = cpu.shares()
        checked = await _check_decided(conn, article, decided, actions, by)
    finally:
        await conn.close()
    rate = len(decided) / wall
    summary = {
        "moderators": len(moderators),
        "decided": len(decided),
        "wall_s": wall,
        "items_per_s": rate,
        "claims": len(claims),
        "claim_p50_ms": statistics.median(claims),
        "claim_p99_ms": harness.percentile(sorted(claims), 99),
        "decide_p50_ms": statistics.median(decisions),
        "decide_p99_ms": harness.percentile(sorted(decisions), 99),
        "first_claim_ms": max(first.values()),
        "empty_claims": empty_claims,
        "split": [by[ids[m.username]] for m in moderators],
        **checked,
    }
    name = f"mod{len(moderators)}"
    url = ctx.base_url + queue
    measured = [
        # req/s: claim calls per second of the whole run; p50..p99: one claim call.
        harness.observed(f"{name}.claim", url, len(moderators), wall, claims, len(claims) / wall, None, {}),
        # req/s: items decided per second of the whole run (the items/s); p50..p99: one decision.
        harness.observed(f"{name}.decide", ctx.base_url + "/api/v1/moderation/items/{id}/decision", len(moderators),
                  wall, decisions, rate, shares, summary),
    ]  # fmt: skip
    return measured, summary


async def _post_held(client: httpx.AsyncClient, readers: list[Account], article: str) -> None:
    """HELD comments on ``article`` through the API, by the readers in turn; each must be held."""
    slots = asyncio.Semaphore(POST_CONCURRENCY)
    rng = random.Random(f"{seed.SEED}-{article}")
    bodies = [f"{seed.text(rng)}\n\n(n° {i})" for i in range(HELD)]  # never the same text twice

    async def post(i: int) -> None:
        data = {"article": article, "body": bodies[i], "article_title": f"Article {article}"}
        async with slots:
            response = await client.post(
                f"/api/v1/sites/{MODERATED_SITE}/comments",
                json=data,
                headers=_bearer(readers[i % len(readers)]),
            )
        posted = _expect(response, 201, "posting a comment")
        if posted["status"] != "pending":
            raise BenchError(f"a comment on the pre-moderated site was {posted['status']}, not held")

    started = time.perf_counter()
    await asyncio.gather(*(post(i) for i in range(HELD)))
    say(f"bench: {HELD:,} comments posted and held on {article!r} in {time.perf_counter() - started:.1f} s")


async def _check_decided(
    conn: asyncpg.Connection, article: str, decided: Counter[int], actions: Counter[str], by: Counter[int]
) -> dict[str, int]:
    """Every item of the article decided once, as this client decided it; stops the run otherwise."""
    problems = []
    twice = [item for item, n in decided.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} items were handed out and decided twice (item {twice[0]}, ...)")
    article_id, count = await conn.fetchrow(
        "SELECT a.id, a.comment_count FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1 AND a.key = $2",
        MODERATED_SITE,
        article,
    )
    items = await conn.fetch(
        """SELECT i.id, i.decision, i.decided_by FROM moderation_items i JOIN comments c ON c.id = i.comment_id
           WHERE c.article_id = $1""",
        article_id,
    )
    still_open = sum(1 for row in items if row["decision"] is None)
    if len(items) != HELD or still_open:
        problems.append(f"{len(items)} items in PostgreSQL ({HELD} expected), {still_open} still undecided")
    if {row["id"] for row in items} != set(decided):
        problems.append("the items decided are not the article's items")
    if Counter(row["decision"] for row in items) != actions:
        problems.append(
            f"decisions in PostgreSQL {dict(Counter(r['decision'] for r in items))} != sent {dict(actions)}"
        )
    if Counter(row["decided_by"] for row in items) != by:
        problems.append(
            f"decided_by in PostgreSQL {dict(Counter(r['decided_by'] for r in items))} != {dict(by)}"
        )
    statuses = dict(
        await conn.fetch(
            "SELECT status, count(*) FROM comments WHERE article_id = $1 GROUP BY status", article_id
        )
    )
    if statuses != {"approved": actions["approve"], "rejected": actions["reject"]}:
        problems.append(f"comment statuses {statuses} != decisions {dict(actions)}")
    if count != actions["approve"]:
        problems.append(
            f"the article's comment_count is {count}, but {actions['approve']} comments were approved"
        )
    entries = await conn.fetch(
        """SELECT c.id, count(l.id) AS entries FROM comments c
           LEFT JOIN audit_log l ON l.comment_id = c.id AND l.action = ANY($2::text[])
           WHERE c.article_id = $1 GROUP BY c.id""",
        article_id,
        list(DECISIONS),
    )
    wrong = [row["id"] for row in entries if row["entries"] != 1]
    if wrong:
        problems.append(
            f"{len(wrong)} comments have no or several decisions in the audit log (comment {wrong[0]}, ...)"
        )
    if problems:
        raise BenchError(f"moderation check failed on {article!r}: " + "; ".join(problems))
    return {"approved": actions["approve"], "rejected": actions["reject"], "comment_count": count}


# --- moderation: bulk decisions ----------------------------------------------------------------


def bulk(ctx: Context) -> list[Measurement]:
    """HELD comments held (new readers), then decided BULK at a time by one moderator through
    POST .../moderation/bulk, one request after the other (every tenth request rejects with a
    reason, the others approve); checked in PostgreSQL as ``decide`` is."""
    measured, s = asyncio.run(_bulk(ctx, ctx.accounts[0], ctx.accounts[MODERATORS + 2 * READERS :]))
    print(f"\nmoderation: {HELD:,} held comments decided {BULK} at a time (POST .../moderation/bulk)")
    _line("requests, each of 100 comments", f"{s['requests']:>10}")
    _line("one request: p50 / slowest (ms)", f"{s['p50_ms']:>10.1f} / {s['max_ms']:.1f}")
    _line("comments decided per second (wall time of all requests)", f"{s['items_per_s']:>10,.0f}")
    print(
        f"checked: {s['decided']:,} comments decided once each in PostgreSQL (items, statuses, one audit entry "
        f"each), {s['approved']} approved and {s['rejected']} rejected, comment_count {s['comment_count']} = approved"
    )
    return [measured]


async def _bulk(ctx: Context, moderator: Account, readers: list[Account]) -> tuple[Measurement, dict]:
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=HTTP_TIMEOUT) as client:
        await _post_held(client, readers, BULK_ARTICLE)
    conn = await asyncpg.connect(ctx.run.database_url)
    try:
        me = await conn.fetchval("SELECT id FROM users WHERE username = $1", moderator.username)
        comment_ids = [row["id"] for row in await conn.fetch(
            """SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
               WHERE s.slug = $1 AND a.key = $2 ORDER BY c.id""",
            MODERATED_SITE, BULK_ARTICLE,
        )]  # fmt: skip
        url = f"/api/v1/sites/{MODERATED_SITE}/moderation/bulk"
        times: list[float] = []
        decided: Counter[int] = Counter()  # item id: decisions sent
        actions: Counter[str] = Counter()
        items = dict(await conn.fetch(
            "SELECT comment_id, id FROM moderation_items WHERE comment_id = ANY($1::bigint[])", comment_ids
        ))  # fmt: skip
        cpu = harness.CpuUse()
        started = time.perf_counter()
        async with httpx.AsyncClient(
            base_url=ctx.base_url, timeout=HTTP_TIMEOUT, headers=_bearer(moderator)
        ) as client:
            for n, first in enumerate(range(0, len(comment_ids), BULK), start=1):
                batch = comment_ids[first : first + BULK]
                action = "reject" if n % REJECT_EVERY == 0 else "approve"
                body = {
                    "comment_ids": batch,
                    "action": action,
                    **({"reason": REJECT_REASON} if action == "reject" else {}),
                }
                sent = time.perf_counter()
                response = await client.post(url, json=body)
                times.append(_ms(time.perf_counter() - sent))
                results = _expect(response, 200, f"bulk decision {n}")["results"]
                if [r["outcome"] for r in results] != ["applied"] * len(batch):
                    raise BenchError(f"bulk decision {n}: not every comment applied: {results[:3]}...")
                decided.update(items[cid] for cid in batch)
                actions[action] += len(batch)
        wall = time.perf_counter() - started
        shares = cpu.shares()
        checked = await _check_decided(conn, BULK_ARTICLE, decided, actions, Counter({me: len(comment_ids)}))
    finally:
        await conn.close()
    summary = {
        "requests": len(times),
        "p50_ms": statistics.median(times),
        "max_ms": max(times),
        "items_per_s": len(comment_ids) / wall,
        "decided": len(decided),
        **checked,
    }
    # req/s: bulk requests per second; p50..p99: one request of 100 decisions.
    return harness.observed("mod.bulk100", ctx.base_url + url, 1, wall, times, len(times) / wall, shares,
                            summary), summary  # fmt: skip


# --- moderation: queue rebuild ------------------------------------------------------------------


def rebuild(ctx: Context) -> list[Measurement]:
    """REBUILT pending comments with open items, inserted with SQL; a first claim feeds the stream;
    the run's Redis keys are deleted (as if Redis restarted empty); the next claim, timed,
    rebuilds the queue from PostgreSQL. The stream must then hold every item."""
    measured, s = asyncio.run(_rebuild(ctx))
    print(f"\nmoderation: queue rebuild for {REBUILT:,} pending comments after Redis lost the queue")
    _line("inserted with SQL (comments and open items), then ANALYZE", f"{s['insert_s']:>10.2f} s")
    _line("first claim: fed the stream from the outbox", f"{s['feed_s']:>10.2f} s")
    _line("Redis: the run's keys deleted (the stream, its marker)", f"{s['keys_deleted']:>10} keys")
    _line(f"rebuild: the next claim (limit {CLAIM_LIMIT}), timed", f"{s['rebuild_s']:>10.2f} s")
    _line("rebuild: items re-queued per second", f"{s['items_per_s']:>10,.0f}")
    _line("checked: XLEN of the site's stream after the rebuild", f"{s['xlen']:>10,}")
    return [measured]


async def _rebuild(ctx: Context) -> tuple[Measurement, dict]:
    moderator = ctx.accounts[0]
    queue = f"/api/v1/sites/{REBUILD_SITE}/moderation/queue"
    conn = await asyncpg.connect(ctx.run.database_url)
    kv = redis.Redis.from_url(ctx.run.redis_url, socket_timeout=30)
    try:
        site_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", REBUILD_SITE)
        stream = Keys(ctx.run.redis_prefix).queue(site_id)
        started = time.perf_counter()
        await _insert_pending(conn, site_id)
        insert_s = time.perf_counter() - started
        say(f"bench: {REBUILT:,} pending comments inserted in {insert_s:.1f} s")
        async with httpx.AsyncClient(
            base_url=ctx.base_url, timeout=HTTP_TIMEOUT, headers=_bearer(moderator)
        ) as client:
            started = time.perf_counter()
            response = await client.get(queue, params={"limit": CLAIM_LIMIT})
            items = _expect(response, 200, "the first claim")["items"]
            feed_s = time.perf_counter() - started
            if len(items) != CLAIM_LIMIT or kv.xlen(stream) != REBUILT:
                raise BenchError(
                    f"after the first claim: {len(items)} items, stream of {kv.xlen(stream)} entries"
                )
            # As if Redis had restarted empty: this run's keys only (never the shared server's others).
            keys = list(kv.scan_iter(match=ctx.run.redis_prefix + "*", count=1000))
            for start in range(0, len(keys), 1000):
                kv.delete(*keys[start : start + 1000])
            if kv.exists(stream):
                raise BenchError(f"the stream {stream} is still there after deleting the run's keys")
            cpu = harness.CpuUse()
            started = time.perf_counter()
            response = await client.get(queue, params={"limit": CLAIM_LIMIT})
            rebuild_s = time.perf_counter() - started
            shares = cpu.shares()
            items = _expect(response, 200, "the rebuilding claim")["items"]
        xlen = kv.xlen(stream)
        queued = await conn.fetchval(
            "SELECT count(*) FROM moderation_items WHERE site_id = $1 AND decision IS NULL AND queued_at IS NOT NULL",
            site_id,
        )
    finally:
        kv.close()
        await conn.close()
    if len(items) != CLAIM_LIMIT or xlen != REBUILT or queued != REBUILT:
        raise BenchError(
            f"queue rebuild check failed: the claim got {len(items)} items ({CLAIM_LIMIT} expected), the stream "
            f"holds {xlen:,} entries and PostgreSQL {queued:,} queued items ({REBUILT:,} expected)"
        )
    summary = {
        "items": REBUILT,
        "insert_s": insert_s,
        "feed_s": feed_s,
        "keys_deleted": len(keys),
        "rebuild_s": rebuild_s,
        "items_per_s": REBUILT / rebuild_s,
        "xlen": xlen,
        "queued_in_postgresql": queued,
    }
    # req/s: items re-queued per second; p50..p99: the one rebuilding claim.
    return harness.observed("mod.rebuild", ctx.base_url + queue, 1, rebuild_s, [_ms(rebuild_s)], REBUILT / rebuild_s,
                     shares, summary), summary  # fmt: skip


async def _insert_pending(conn: asyncpg.Connection, site_id: int) -> None:
    """REBUILT pending comments by REBUILD_AUTHORS authors over REBUILD_ARTICLES articles, each
    with an open, never queued moderation item (kind 'held'), as posting leaves them."""
    rng = random.Random(seed.SEED + 7)
    bodies = [seed.text(rng) for _ in range(100)]
    html = [rendering.render(rendering.check_body(b)) for b in bodies]
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO users (username, email, display_name, password_hash, created_at)
               SELECT format('bench_held_%s', n), format('bench_held_%s@bench.example.org', n), format('Held %s', n),
                      'not a password hash: nobody signs in', now() - interval '30 days'
               FROM generate_series(1, $1) n""",
            REBUILD_AUTHORS,
        )
        await conn.execute(
            """INSERT INTO articles (site_id, key, title)
               SELECT $1, format('rebuild-%s', n), format('Article %s', n) FROM generate_series(1, $2) n""",
            site_id,
            REBUILD_ARTICLES,
        )
        await conn.execute(
            """WITH a AS (SELECT array_agg(id ORDER BY id) AS ids FROM articles WHERE site_id = $1),
                    u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE username LIKE 'bench\\_held\\_%')
               INSERT INTO comments (article_id, depth, status, author_id, body, body_html, held_because, created_at)
               SELECT a.ids[1 + n % cardinality(a.ids)], 0, 'pending', u.ids[1 + n % cardinality(u.ids)],
                      ($3::text[])[1 + n % 100], ($4::text[])[1 + n % 100], 'pre_moderation',
                      now() - make_interval(secs => $2 - n)
               FROM a, u, generate_series(1, $2) n""",
            site_id,
            REBUILT,
            bodies,
            html,
        )
        await conn.execute(
            """INSERT INTO moderation_items (site_id, comment_id, kind, created_at)
               SELECT $1, c.id, 'held', c.created_at FROM comments c JOIN articles a ON a.id = c.article_id
               WHERE a.site_id = $1 ORDER BY c.id""",
            site_id,
        )
    # As a live table's statistics would be: the queries planned for 100,000 rows, not for none.
    await conn.execute("ANALYZE users, articles, comments, moderation_items")


# --- widget: the server and the host page ------------------------------------------------------


@contextlib.contextmanager
def widget_host(run: Run) -> Iterator[Context]:
    """The demo article page, served from another origin (http://localhost:PORT, while the
    service is on 127.0.0.1), registered as the site's only origin; its article seeded with
    TOP_LEVEL threads of REPLIES replies (all approved); then `commentsvc serve`."""
    import scenarios

    pages = _HostPages()
    with pages.serving():
        harness.cli(run.database_url, "site", "create", WIDGET_SITE, "--origin", pages.origin)
        asyncio.run(_seed_thread(run.database_url))
        with scenarios._serve(run, "commentsvc-widget.log") as (base_url, pid):
            pages.service = base_url
            yield scenarios.Context(run, base_url, pid)


class _HostPages:
    """article.html as the host site serves it: the demo page with the service's origin and the
    bench's site filled in."""

    def __init__(self) -> None:
        self.service = ""
        self.origin = ""

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/article.html" or not pages.service:
                    self.send_error(404)
                    return
                text = (
                    resources.files("commentsvc").joinpath("demo", "article.html").read_text(encoding="utf-8")
                )
                body = (
                    text.replace("{{SERVICE_ORIGIN}}", pages.service)
                    .replace("{{SITE_ID}}", WIDGET_SITE)
                    .encode()
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, name="bench-host-page", daemon=True)
        thread.start()
        self.origin = f"http://localhost:{server.server_address[1]}"
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


async def _seed_thread(database_url: str) -> None:
    """The demo article's thread: TOP_LEVEL comments, each with REPLIES replies, oldest first."""
    rng = random.Random(seed.SEED + 11)
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            site_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", WIDGET_SITE)
            authors = [
                await conn.fetchval(
                    """INSERT INTO users (username, email, display_name, password_hash, created_at)
                       VALUES ($1, $1 || '@bench.example.org', $2, 'not a password hash', now() - interval '400 days')
                       RETURNING id""",
                    f"bench_widget_{i:03d}",
                    f"Lecteur {i}",
                )
                for i in range(WIDGET_AUTHORS)
            ]
            article_id = await conn.fetchval(
                "INSERT INTO articles (site_id, key, title, url, comment_count) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                site_id,
                WIDGET_ARTICLE,
                WIDGET_TITLE,
                WIDGET_URL,
                TOP_LEVEL * (1 + REPLIES),
            )
            insert = """INSERT INTO comments (article_id, parent_id, root_id, depth, status, author_id, body, body_html,
                                              created_at)
                        VALUES ($1, $2, $2, $3, 'approved', $4, $5, $6, now() - make_interval(mins => $7)) RETURNING id"""
            minutes = TOP_LEVEL * (1 + REPLIES) * 10
            for _ in range(TOP_LEVEL):
                body = seed.text(rng)
                top = await conn.fetchval(insert, article_id, None, 0, rng.choice(authors), body,
                                          rendering.render(rendering.check_body(body)), minutes)  # fmt: skip
                minutes -= 10
                for _ in range(REPLIES):
                    body = seed.text(rng)
                    await conn.fetchval(insert, article_id, top, 1, rng.choice(authors), body,
                                        rendering.render(rendering.check_body(body)), minutes)  # fmt: skip
                    minutes -= 10
    finally:
        await conn.close()


async def _host_origin(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT origins[1] FROM sites WHERE slug = $1", WIDGET_SITE)
    finally:
        await conn.close()


def _embed_query(origin: str, lang: str = "fr") -> str:
    """The /embed query embed.js builds on the demo page (its first widget), for a reader of `lang`."""
    return urlencode({
        "site": WIDGET_SITE, "id": 0, "origin": origin, "article": WIDGET_ARTICLE, "title": WIDGET_TITLE,
        "url": WIDGET_URL, "lang": lang, "theme": "",
    })  # fmt: skip


# --- widget: bytes ------------------------------------------------------------------------------


def widget_bytes(ctx: Context) -> list[Measurement]:
    """What a first view downloads from the service, bar the thread's JSON, asked with
    `Accept-Encoding: gzip`: the loader, the widget's document, every hashed asset it names (the
    script, the style, the reader's catalogue); and count.js on its own. The first view is a
    French reader's; the budget holds the heaviest language's (its document and catalogue in
    place of the French ones). Bytes as sent: the body on the wire, compressed where the service
    compresses (headers not counted)."""
    origin = asyncio.run(_host_origin(ctx.run.database_url))
    files: list[dict[str, object]] = []
    times: list[float] = []
    started = time.perf_counter()
    with httpx.Client(base_url=ctx.base_url, timeout=30, headers={"Accept-Encoding": "gzip"}) as client:

        def fetch(role: str, path: str) -> bytes:
            began = time.perf_counter()
            with client.stream("GET", path) as response:
                wire = b"".join(response.iter_raw())
            times.append(_ms(time.perf_counter() - began))
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code}")
            encoding = response.headers.get("content-encoding", "identity")
            decoded = gzip.decompress(wire) if encoding == "gzip" else wire
            files.append(
                {
                    "role": role,
                    "path": path,
                    "encoding": encoding,
                    "bytes": len(wire),
                    "decoded": len(decoded),
                }
            )
            return decoded

        fetch("loader", "/embed.js")
        document = fetch("document", "/embed?" + _embed_query(origin)).decode()
        for path in re.findall(r'(?:href|src)="(/widget/[^"]+)"', document):
            fetch("words" if "/words-" in path else "style" if path.endswith(".css") else "script", path)
        if sorted(str(f["role"]) for f in files) != ["document", "loader", "script", "style", "words"]:
            raise BenchError(
                f"the widget's document names {[f['path'] for f in files[2:]]}, not a script, a style and words"
            )
        fetch("count.js", "/count.js")
        # Every other language: its document and catalogue, in place of the French ones.
        others = {}
        for lang in LANGUAGES[1:]:
            document = fetch(f"document {lang}", "/embed?" + _embed_query(origin, lang)).decode()
            words = re.search(r'src="(/widget/words-[^"]+)"', document)
            if words is None:
                raise BenchError(f"the widget's document in {lang} names no catalogue")
            fetch(f"words {lang}", words.group(1))
            others[lang] = int(files[-2]["bytes"]) + int(files[-1]["bytes"])
    seconds = time.perf_counter() - started
    size = {f["role"]: f["bytes"] for f in files}
    total = sum(size[role] for role in ("loader", "document", "script", "style", "words"))
    others[LANGUAGES[0]] = size["document"] + size["words"]
    heaviest = max(others, key=others.__getitem__)
    worst = total - others[LANGUAGES[0]] + others[heaviest]
    budget = [  # (label, value, goal, counted)
        ("total: loader + document + script + style + words", total, BUDGET_TOTAL, True),
        (f"the same in the heaviest language ({heaviest})", worst, BUDGET_TOTAL, True),
        ("total, the aim (not counted)", total, BUDGET_AIM, False),
        ("loader (/embed.js)", size["loader"], BUDGET_LOADER, True),
        ("count.js", size["count.js"], BUDGET_COUNT, True),
    ]
    problems = [
        f"widget byte budget broken: {label} is {value:,} B, over {goal:,} B"
        for label, value, goal, counted in budget
        if counted and value > goal
    ]
    print(
        "\nwidget: what a first view downloads from the service (Accept-Encoding: gzip; body bytes as sent)"
    )
    header = f"{'file':<48}{'encoding':>10}{'bytes':>10}{'decoded':>10}"
    print(header + "\n" + "-" * len(header))
    for f in files:
        if f["role"] == "count.js":
            print(f"{'total (loader + document + script + style + words)':<58}{total:>10,}"
                  f"{sum(int(f['decoded']) for f in files[:5]):>10,}")  # fmt: skip
        path = str(f["path"])
        label = f"{f['role']:<9}{path if len(path) <= 38 else path[:37] + '…'}"
        print(f"{label:<48}{f['encoding']:>10}{f['bytes']:>10,}{f['decoded']:>10,}")
    print("\nbyte budget (a MISS of a counted line fails the run)")
    for label, value, goal, counted in budget:
        verdict = ("PASS" if value <= goal else "MISS") + ("" if counted else " (info)")
        print(f"{label:<{LABEL}}{value:>10,}  ≤ {goal:<6,} {verdict}")
    for problem in problems:
        print(f"    !!! {problem} !!!")
        say(f"bench: FAILED: {problem}")
    details = {
        "files": files,
        "total_bytes": total,
        "budget": [{"figure": label, "value": value, "goal": f"≤ {goal}", "pass": value <= goal, "counted": counted}
                   for label, value, goal, counted in budget],
    }  # fmt: skip
    # req/s: files fetched per second, one at a time; p50..p99: one fetch.
    return [harness.observed("widget.bytes", ctx.base_url + "/embed.js", 1, seconds, times, len(times) / seconds, None,
                      details, problems)]  # fmt: skip


# --- widget: time to thread in Chromium ---------------------------------------------------------


def widget_load(ctx: Context) -> list[Measurement]:
    """The demo article page opened in Chromium, LOADS times after one warm-up, each time in a
    fresh browser context (no cache, no storage: a first view): the time from the start of
    page.goto to the moment the widget's frame holds the first page (FIRST_PAGE article.comment
    elements, counted by a MutationObserver there, which logs to the console)."""
    if not Path(CHROMIUM).exists():
        raise BenchError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    origin = asyncio.run(_host_origin(ctx.run.database_url))
    found, s = asyncio.run(_first_views(ctx, origin + "/article.html"))
    print(f"\nwidget: navigation to the thread shown, Chromium {s['browser']}, {TOP_LEVEL * (1 + REPLIES)}-comment "
          f"thread ({FIRST_PAGE} comments on its first page), a fresh context each load")  # fmt: skip
    header = f"{'loads':<8}{'median ms':>10}{'p90 ms':>10}{'max ms':>10}{'min ms':>10}  each (ms, in order)"
    print(header + "\n" + "-" * len(header))
    each = ", ".join(f"{ms:.0f}" for ms in s["loads_ms"])
    print(f"{len(s['loads_ms']):<8}{found.p50_ms:>10.1f}{found.p90_ms:>10.1f}{found.p99_ms:>10.1f}"
          f"{min(s['loads_ms']):>10.1f}  {each}")  # fmt: skip
    print(
        f"warm-up load (not counted): {s['warmup_ms']:.0f} ms; what Chromium downloaded from the service then:"
    )
    for d in s["downloads"]:
        print(f"    {d['path'][:70]:<72}{d['status']:>5}{d['body_bytes']:>8,} B")
    return [found]


async def _first_views(ctx: Context, page_url: str) -> tuple[Measurement, dict]:
    from playwright.async_api import async_playwright

    service = urlsplit(ctx.base_url)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            warmup_ms, downloads = await _first_view(browser, page_url, ctx.base_url, record=True)
            unexpected = [
                d["path"] for d in downloads
                if not re.fullmatch(r"/embed\.js|/embed\?.*|/widget/(widget|words-[a-z]+)\.[0-9a-f]+\.(js|css)"
                                    rf"|/api/v1/sites/{WIDGET_SITE}/comments\?.*", d["path"])
            ]  # fmt: skip
            failed = [d for d in downloads if d["status"] != 200]
            if unexpected or failed:
                raise BenchError(
                    f"the first view downloaded from {service.netloc} what widget.bytes does not count or failed: "
                    f"{unexpected or failed}"
                )
            cpu = harness.CpuUse()
            started = time.perf_counter()
            loads = [(await _first_view(browser, page_url, ctx.base_url))[0] for _ in range(LOADS)]
            seconds = time.perf_counter() - started
            shares = cpu.shares()  # while Chromium runs: counted with the servers, as this process's child
            version = browser.version
        finally:
            await browser.close()
    summary = {"browser": version, "loads_ms": loads, "warmup_ms": warmup_ms, "downloads": downloads,
               "viewport": VIEWPORT, "first_page_comments": FIRST_PAGE}  # fmt: skip
    # req/s: first views per second, one after another; p50: the median load, p99: the slowest of 10.
    return harness.observed(
        "widget.thread200", page_url, 1, seconds, loads, LOADS / seconds, shares, summary
    ), summary


async def _first_view(browser, page_url: str, service: str, record: bool = False) -> tuple[float, list[dict]]:
    """One first view: (ms from page.goto to the thread in the widget's DOM, what was downloaded
    from the service when ``record``)."""
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        await context.add_init_script(SHOWN_SCRIPT % (FIRST_PAGE, SHOWN))
        page = await context.new_page()
        shown: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        errors: list[str] = []

        def console(message) -> None:
            if message.text == SHOWN and not shown.done():
                shown.set_result(time.perf_counter())
            elif message.type == "error":
                errors.append(message.text)

        page.on("console", console)
        finished = []
        if record:
            page.on("requestfinished", lambda request: finished.append(request))
        started = time.perf_counter()
        await page.goto(page_url, wait_until="commit")
        try:
            ended = await asyncio.wait_for(shown, SHOWN_TIMEOUT_S)
        except TimeoutError:
            raise BenchError(
                f"the thread was not shown within {SHOWN_TIMEOUT_S} s of opening {page_url} "
                f"(console errors: {errors or 'none'})"
            ) from None
        downloads = []
        if record:
            await page.wait_for_load_state("networkidle")
            for request in finished:
                if request.url.startswith(service + "/"):
                    response = await request.response()
                    sizes = await request.sizes()
                    url = urlsplit(request.url)
                    downloads.append({
                        "path": url.path + (f"?{url.query}" if url.query else ""),
                        "status": response.status if response else 0,
                        "body_bytes": sizes["responseBodySize"],
                    })  # fmt: skip
        return _ms(ended - started), downloads
    finally:
        await context.close()


if __name__ == "__main__":
    sys.exit("bench/features.py holds scenarios: run bench/run.py --only moderation widget")
