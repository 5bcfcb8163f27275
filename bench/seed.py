"""The comments data the comments scenarios read and write, inserted straight into the run's
database with COPY (no HTTP, no per-row statements): fast enough to seed 105,000 comments in
seconds, and shaped like a real site's.

- one site (`bench`), created with the service's own CLI, post-moderated, default spam rules,
  in English (its comments are; moderators' search reads them so);
- AUTHORS users who wrote the comments (accounts nobody signs in to);
- ARTICLES articles with TOTAL_COMMENTS comments between them, sized like a real site's
  (most articles have a few dozen comments, a few have hundreds), threaded at random up to
  MAX_DEPTH; among them the 200-comment thread, of a fixed shape (THREAD_200);
- one more article, the 5,000-comment thread, of the same fixed shape (THREAD_5000);
- votes: about one per comment, so scores are the votes' sums and the signed-in page's
  join with votes has rows to find; later (``seed_readers``) the bench's own accounts become
  the site's regular readers: signed up a month before, voting on the measured threads, so
  signed-in readers see their `my_vote`;
- then (``settle``) VACUUM (ANALYZE) and a CHECKPOINT.

Every comment is approved; ids follow creation time across the whole site (as they would),
so a thread's comments are scattered over the table rather than stored side by side;
`root_id` is the top-level ancestor (NULL for a top-level comment); each article's
`comment_count` is its number of comments. Bodies are 200–600 characters of Markdown prose,
rendered once with the service's own renderer. Deterministic: the same data every run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import harness
from harness import BenchError, say

from commentsvc.domain import rendering

SITE = "bench"
ORIGIN = "http://127.0.0.1"
AUTHORS = 2_000
ARTICLES = 2_000  # the 200-comment thread included
TOTAL_COMMENTS = 100_000  # over ARTICLES; the 5,000-comment thread comes on top
MAX_DEPTH = 5  # the site's --max-depth, and the deepest seeded reply
TOP_LEVEL_SHARE = 0.35  # in the randomly threaded articles, the share of top-level comments
VOTES_PER_COMMENT = 1.0  # on average, by the authors
BODIES = 1_000  # distinct bodies, rendered once, shared by the comments
SEED = 2026
NOW = datetime(2026, 11, 1, tzinfo=UTC)  # fixed: the same data, whatever the day
SITE_AGE = timedelta(days=730)
READER_AGE = timedelta(days=30)
COMMENTING = timedelta(days=120)  # longer than any seeded article's comments take to arrive


@dataclass(frozen=True)
class Shape:
    """A thread of ``threads`` top-level comments, each with the same replies: ``replies[i]`` is
    the parent of reply i+1 by its position in the thread (0 is the top-level comment)."""

    key: str
    threads: int
    replies: tuple[int, ...]

    @property
    def comments(self) -> int:
        return self.threads * (1 + len(self.replies))


# Each top-level comment gets 4 replies: two nested under it as a chain, so depths 1, 2, 3,
# and one more answering it directly (depth 1). The first page (limit 20) carries 20 threads,
# 100 comments, whatever the thread's size.
REPLIES = (0, 1, 2, 0)
THREAD_200 = Shape("thread-200", 40, REPLIES)
THREAD_5000 = Shape("thread-5000", 1_000, REPLIES)

WORDS = (
    "the of and to in is that it for was on with as this but be at by not have from or an they "
    "which you one were all we can her has there been if more when will would who so no article "
    "point think really good read agree because however people argument data author source "
    "example question answer believe maybe true problem case fact part long time years world "
    "thanks interesting actually different better worse same small large number reason idea "
    "clear simple whole rather quite often never always sometimes perhaps indeed though while"
).split()


@dataclass
class Seeded:
    """What the scenarios need to know of the seeded data."""

    site_id: int
    thread_200: str  # article keys
    thread_5000: str
    articles: list[str]  # every randomly threaded article's key (thread_200 not among them)
    replyable: dict[str, list[int]]  # per article: some comment ids a reply may answer
    comments: int
    seconds: float  # how long seeding took
    account_ids: list[int] = field(default_factory=list)


# --- the shape, generated -----------------------------------------------------------------


@dataclass
class _Comment:
    created_at: datetime
    order: int  # generation order: breaks ties in created_at, parents before children
    article: int  # article index
    parent: _Comment | None
    depth: int
    author: int
    body: int  # index into the bodies
    id: int = 0
    root: _Comment | None = None


def text(rng: random.Random) -> str:
    """200–600 characters of prose in one to three paragraphs, with a little Markdown."""
    target = rng.randint(200, 600)
    paragraphs: list[list[str]] = [[]]
    length = 0
    while length < target:
        words = rng.choices(WORDS, k=rng.randint(6, 18))
        if rng.random() < 0.15:
            i = rng.randrange(len(words))
            words[i] = rng.choice(("*{}*", "**{}**", "`{}`")).format(words[i])
        sentence = " ".join(words).capitalize() + rng.choice(".....?!")
        if length >= 200 and length + len(sentence) > 600:
            break
        paragraphs[-1].append(sentence)
        length += len(sentence) + 1
        if len(paragraphs) < 3 and rng.random() < 0.2:
            paragraphs.append([])
    blocks = [" ".join(p) for p in paragraphs if p]
    if len(blocks) > 1 and rng.random() < 0.2:
        blocks[0] = "> " + blocks[0]
    return "\n\n".join(blocks)


def _sizes(rng: random.Random, articles: int, total: int) -> list[int]:
    """Comments per article: log-normal like a real site's (a long tail), at least one each."""
    weights = [rng.lognormvariate(0, 1.0) for _ in range(articles)]
    scale = (total - articles) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for i in rng.sample(range(articles), total - sum(sizes)):
        sizes[i] += 1
    return sizes


def _random_thread(rng: random.Random, article: int, size: int, start: datetime, out: list[_Comment]) -> None:
    """``size`` comments, each a top-level one or a reply to an earlier comment (depth ≤ MAX_DEPTH)."""
    mine: list[_Comment] = []
    at = start
    for i in range(size):
        at += timedelta(seconds=rng.expovariate(1 / 7200))
        parent = None
        if i and rng.random() > TOP_LEVEL_SHARE:
            # Mostly answering something recent, sometimes an older comment.
            parent = mine[-1 - min(int(rng.expovariate(1 / 4)), len(mine) - 1)]
            if parent.depth >= MAX_DEPTH:
                parent = parent.parent
        comment = _comment(rng, len(out), article, parent, at)
        mine.append(comment)
        out.append(comment)


def _shaped_thread(
    rng: random.Random, article: int, shape: Shape, start: datetime, out: list[_Comment]
) -> None:
    """``shape.threads`` top-level comments a few minutes apart, each answered over the hours after it,
    so the threads' replies interleave with later top-level comments, as on a busy article."""
    at = start
    for _ in range(shape.threads):
        at += timedelta(seconds=rng.expovariate(1 / 300))
        thread = [_comment(rng, len(out), article, None, at)]
        out.append(thread[0])
        reply_at = at
        for parent in shape.replies:
            reply_at += timedelta(seconds=rng.expovariate(1 / 3600))
            thread.append(_comment(rng, len(out), article, thread[parent], reply_at))
            out.append(thread[-1])


def _comment(rng: random.Random, order: int, article: int, parent: _Comment | None, at: datetime) -> _Comment:
    return _Comment(
        created_at=at,
        order=order,
        article=article,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        author=rng.randrange(AUTHORS),
        body=rng.randrange(BODIES),
        root=(parent.root or parent) if parent else None,
    )


def _votes(rng: random.Random, comments: list[_Comment]) -> Iterator[tuple[int, int, int, datetime]]:
    """(comment id, author index, value, voted at): about VOTES_PER_COMMENT each, mostly up."""
    for c in comments:
        count = min(round(rng.expovariate(1 / VOTES_PER_COMMENT)), 50)
        for voter in rng.sample(range(AUTHORS), count):
            value = 1 if rng.random() < 0.8 else -1
            yield c.id, voter, value, c.created_at + timedelta(hours=rng.random() * 48)


# --- into the database ----------------------------------------------------------------------


def create_site(database_url: str) -> None:
    """With the service's CLI, as an operator would: post-moderation, the depth the seeded
    threads use, and the language they are written in."""
    harness.cli(
        database_url,
        *("site", "create", SITE, "--origin", ORIGIN, "--name", "Bench", "--moderation", "post"),
        *("--max-depth", str(MAX_DEPTH), "--language", "en"),
    )


async def seed(database_url: str) -> Seeded:
    started = time.perf_counter()
    create_site(database_url)
    rng = random.Random(SEED)
    bodies = [text(rng) for _ in range(BODIES)]
    bodies_html = [rendering.render(b) for b in bodies]

    keys = [THREAD_200.key] + [f"article-{i:05d}" for i in range(1, ARTICLES)] + [THREAD_5000.key]
    # Published early enough that every comment (they follow their article for up to about
    # three months) is older than NOW.
    published = [NOW - COMMENTING - (SITE_AGE - COMMENTING) * rng.random() for _ in keys]
    comments: list[_Comment] = []
    sizes = _sizes(rng, ARTICLES - 1, TOTAL_COMMENTS - THREAD_200.comments)
    for article, size in enumerate(sizes, start=1):
        _random_thread(rng, article, size, published[article], comments)
    _shaped_thread(rng, 0, THREAD_200, published[0], comments)
    _shaped_thread(rng, len(keys) - 1, THREAD_5000, published[-1], comments)
    # Ids in creation order across the whole site.
    comments.sort(key=lambda c: (c.created_at, c.order))
    for i, c in enumerate(comments):
        c.id = i
    votes = list(_votes(rng, comments))

    conn = await asyncpg.connect(database_url)
    try:
        site_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", SITE)
        # Ids given here go on from those already taken (another server's accounts, say).
        user, article, comment = [
            await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
            for table in ("users", "articles", "comments")
        ]
        async with conn.transaction():
            await _copy(conn, "users", ("id", "username", "email", "display_name", "password_hash", "created_at"), (
                (user + i, f"author_{i:05d}", f"author_{i:05d}@bench.example.org", f"Author {i}",
                 "not a password hash: nobody signs in", NOW - SITE_AGE - timedelta(days=1))
                for i in range(AUTHORS)
            ))  # fmt: skip
            # No comment_count: the database counts the comments as they are copied (sql/0006).
            await _copy(conn, "articles", ("id", "site_id", "key", "title", "url", "created_at"), (
                (article + i, site_id, key, f"Article {key}", f"{ORIGIN}/blog/{key}", published[i])
                for i, key in enumerate(keys)
            ))  # fmt: skip
            columns = ("id", "article_id", "parent_id", "root_id", "depth", "status", "author_id")
            columns += ("body", "body_html", "created_at")
            await _copy(conn, "comments", columns, (
                (comment + c.id, article + c.article, comment + c.parent.id if c.parent else None,
                 comment + c.root.id if c.root else None, c.depth, "approved", user + c.author,
                 bodies[c.body], bodies_html[c.body], c.created_at)
                for c in comments
            ))  # fmt: skip
            # No score: the database sums the votes as they are copied (sql/0010).
            await _copy(conn, "votes", ("comment_id", "user_id", "value", "voted_at"), (
                (comment + comment_id, user + voter, value, at) for comment_id, voter, value, at in votes
            ))  # fmt: skip
            # Rows given their ids: the identity sequences go on after them.
            for table in ("users", "articles", "comments"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    finally:
        await conn.close()

    replyable: dict[str, list[int]] = {}
    for c in comments:
        if 0 < c.article < len(keys) - 1 and c.depth < MAX_DEPTH:
            replyable.setdefault(keys[c.article], []).append(comment + c.id)
    seconds = time.perf_counter() - started
    say(
        f"bench: seeded {len(comments):,} comments, {len(votes):,} votes, {len(keys):,} articles "
        f"and {AUTHORS:,} authors in {seconds:.1f} s"
    )
    return Seeded(
        site_id=site_id,
        thread_200=THREAD_200.key,
        thread_5000=THREAD_5000.key,
        articles=keys[1:-1],
        replyable=replyable,
        comments=len(comments),
        seconds=seconds,
    )


async def _copy(
    conn: asyncpg.Connection, table: str, columns: tuple[str, ...], records: Iterator[tuple]
) -> None:
    await conn.copy_records_to_table(table, columns=columns, records=records)


_THREAD_IDS = """SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id
    WHERE a.site_id = $1 AND a.key = $2"""


async def seed_readers(database_url: str, seeded: Seeded, usernames: list[str]) -> list[int]:
    """The bench's accounts (registered through the API) become the site's regular readers, who
    write most comments on a real site: signed up a month before (so the burst rule, which
    counts a new account's recent comments, does not apply to them; the tests cover it), each
    voting on about a tenth of the 200-comment thread and a fiftieth of the 5,000-comment one,
    scores following. Returns the accounts' user ids."""
    rng = random.Random(SEED + 1)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT id, username FROM users WHERE username = ANY($1::text[])", usernames)
        if len(rows) != len(usernames):
            raise BenchError(f"found {len(rows)} of the {len(usernames)} registered accounts in the database")
        ids = {row["username"]: row["id"] for row in rows}
        threads = [
            ([row["id"] for row in await conn.fetch(_THREAD_IDS, seeded.site_id, key)], share)
            for key, share in ((seeded.thread_200, 10), (seeded.thread_5000, 50))
        ]
        votes = [
            (comment_id, ids[name], 1 if rng.random() < 0.8 else -1)
            for name in usernames
            for comment_ids, share in threads
            for comment_id in rng.sample(comment_ids, len(comment_ids) // share)
        ]
        async with conn.transaction():
            await conn.execute(
                "UPDATE users SET created_at = now() - $2::interval WHERE id = ANY($1::bigint[])",
                list(ids.values()),
                READER_AGE,
            )
            # The database moves the scores as the votes are copied (sql/0010).
            await _copy(conn, "votes", ("comment_id", "user_id", "value"), iter(votes))
    finally:
        await conn.close()
    return [ids[name] for name in usernames]


async def settle(database_url: str) -> float:
    """Bring the seeded data to a long-running site's steady state before anything is measured:
    VACUUM (ANALYZE) for statistics, hint bits and the visibility map (the bench's PostgreSQL
    may run without autovacuum, and first reads would otherwise dirty every page), then a
    CHECKPOINT, so the writing of 100+ MB does not land in a measurement. Returns its seconds."""
    started = time.perf_counter()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return time.perf_counter() - started
