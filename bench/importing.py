"""The import scenario (bench/README.md, "Importing a Disqus export"): a generated Disqus export of
COMMENTS comments over THREADS threads, replies included, imported by `commentsvc import disqus`
run as a child process: its wall time, comments per second and peak RSS (its own, from wait4),
against the issue's targets (under 5 minutes, under 500 MB). Meanwhile PostgreSQL's activity is
sampled, to say where the time goes: the import's statements, or its own Python (reading the
file, sanitising bodies, encoding COPY rows) while PostgreSQL waits. The file is then read alone
by the reader, timed, for the reader's share.

scenarios.py lists the scenario in SCENARIOS; this module reaches scenarios.py's Context only
inside functions (the two modules import each other).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import harness
from harness import BenchError, Measurement, say

if TYPE_CHECKING:
    from scenarios import Context, Run

COMMENTS = 1_000_000
THREADS = 50_000
AUTHORS = 60_000  # one in five anonymous (told apart by name and address), the others by username
REPLIES = 0.4  # the share of comments that answer an earlier comment of their thread
SITE = "bench-import"
TARGET_SECONDS = 300
TARGET_RSS_MB = 500
SAMPLE_SECONDS = 0.2
LABEL = 58


# --- the export ---------------------------------------------------------------------------------


def write_disqus_export(
    path: Path, comments: int = COMMENTS, threads: int = THREADS, seed: int = 20
) -> Counter:
    """A Disqus export as Disqus writes one: its threads, then its posts in the order they were
    written. Returns what an import of it must create: comments by status, and guests."""
    rng = random.Random(seed)
    expected: Counter = Counter()
    authors: set[int] = set()
    posts_of: list[list[int]] = [[] for _ in range(threads)]
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals"\n'
            '        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '  <category dsq:id="1"><forum>bench</forum><title>General</title><isDefault>true</isDefault></category>\n'
        )
        out.writelines(_thread(t) for t in range(threads))
        batch: list[str] = []
        for post in range(comments):
            # Busy threads and busy authors, as on a real site (the busiest thread: some 4,500 comments).
            thread = int(threads * rng.random() ** 2)
            earlier = posts_of[thread]
            parent = rng.choice(earlier[-50:]) if earlier and rng.random() < REPLIES else None
            earlier.append(post)
            author = int(AUTHORS * rng.random() ** 2)
            authors.add(author)
            state = "spam" if post % 97 == 0 else "deleted" if post % 89 == 0 else "approved"
            expected[state] += 1
            batch.append(_post(post, thread, parent, author, state))
            if len(batch) == 10_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)
        out.write("</disqus>\n")
    expected["guests"] = len(authors)
    expected["articles"] = threads
    return expected


def _thread(t: int) -> str:
    return (
        f'  <thread dsq:id="t{t}">\n    <id>article-{t}</id>\n    <forum>bench</forum>\n'
        f'    <category dsq:id="1"/>\n    <link>https://blog.bench.example/{2010 + t % 15}/article-{t}/</link>\n'
        f"    <title>Article number {t}: a title of a usual length</title>\n    <message/>\n"
        f"    <createdAt>{2010 + t % 15}-{1 + t % 12:02}-{1 + t % 28:02}T08:00:00Z</createdAt>\n"
        "    <author><name>Editor</name><email>editor@bench.example</email><isAnonymous>false</isAnonymous>"
        "<username>editor</username></author>\n"
        "    <ipAddress>192.0.2.1</ipAddress>\n    <isClosed>false</isClosed>\n    <isDeleted>false</isDeleted>\n"
        "  </thread>\n"
    )


def _post(post: int, thread: int, parent: int | None, author: int, state: str) -> str:
    who = (
        f"<name>Guest {author}</name><email>guest{author}@mail.example</email><isAnonymous>true</isAnonymous>"
        if author % 5 == 0
        else f"<name>Reader {author}</name><email>reader{author}@mail.example</email>"
        f"<isAnonymous>false</isAnonymous><username>reader{author}</username>"
    )
    link = f' See <a href="https://ref.example/{post}">this</a>.' if post % 7 == 0 else ""
    parent_element = f'\n    <parent dsq:id="p{parent}"/>' if parent is not None else ""
    seconds = post * 13
    return (
        f'  <post dsq:id="p{post}">\n    <id/>\n'
        f"    <message><![CDATA[<p>Comment {post} on article {thread}: I read it twice and I am still not sure"
        f" the second part follows from the first.{link}</p><p>Thanks for writing it.</p>]]></message>\n"
        f"    <createdAt>{2015 + seconds // 31_536_000}-{1 + seconds // 2_628_000 % 12:02}-"
        f"{1 + seconds // 86_400 % 28:02}T{seconds // 3600 % 24:02}:{seconds // 60 % 60:02}:{seconds % 60:02}Z</createdAt>\n"
        f"    <isDeleted>{'true' if state == 'deleted' else 'false'}</isDeleted>\n"
        f"    <isSpam>{'true' if state == 'spam' else 'false'}</isSpam>\n"
        f"    <author>{who}</author>\n    <ipAddress>198.51.100.{post % 250}</ipAddress>\n"
        f'    <thread dsq:id="t{thread}"/>{parent_element}\n  </post>\n'
    )


# --- the site -----------------------------------------------------------------------------------


@contextlib.contextmanager
def empty_site(run: Run) -> Iterator[Context]:
    """No server: the site the export is imported into, in the run's database."""
    import scenarios

    harness.cli(run.database_url, "site", "create", SITE, "--origin", "https://blog.bench.example")
    yield scenarios.Context(run, "", os.getpid())


# --- the scenario -------------------------------------------------------------------------------


def import_disqus(ctx: Context) -> list[Measurement]:
    path = ctx.run.workdir / "disqus-export.xml"
    started = time.perf_counter()
    expected = write_disqus_export(path, COMMENTS, THREADS)
    size_mb = path.stat().st_size / 1e6
    say(
        f"bench: export of {COMMENTS:,} comments written ({size_mb:,.0f} MB) in {time.perf_counter() - started:.0f} s"
    )
    env = dict(os.environ, COMMENTSVC_DATABASE_URL=ctx.run.database_url)

    cpu = harness.CpuUse()
    with _sampling(ctx.run.database_url) as (samples, backends):
        seconds, cpu_s, rss_mb, output = _child(
            ["-m", "commentsvc.cli", "import", "disqus", str(path), "--site", SITE], env
        )
    shares = cpu.shares()
    summary = _counts(output)
    created = expected["approved"] + expected["spam"] + expected["deleted"]
    stored = asyncio.run(_stored(ctx.run.database_url))
    problems = [
        f"import: {what} {got:,}, expected {want:,}"
        for what, got, want in (
            ("comments created", summary.get("comments created", -1), created),
            ("comments stored", stored["comments"], created),
            ("articles created", summary.get("articles created", -1), expected["articles"]),
            ("guests created", summary.get("authors (guests) created", -1), expected["guests"]),
            ("public count (sum of comment_count)", stored["counted"], expected["approved"]),
        )
        if got != want
    ]
    postgres_cpu_s = sum(backends.values())
    reader_s, reader_cpu_s, reader_rss_mb, reader_output = _child(["-c", READ_ALONE, str(path)], env)

    rate = created / seconds
    print(f"\nimport: `commentsvc import disqus` of a generated export ({size_mb:,.0f} MB)")
    _line(
        "comments, threads, guests created",
        f"{created:>10,} {expected['articles']:>9,} {expected['guests']:>9,}",
    )
    _line(
        "wall time of the command",
        f"{seconds:>10.1f} s  (goal < {TARGET_SECONDS} s: {_verdict(seconds < TARGET_SECONDS)})",
    )
    _line("comments per second", f"{rate:>10,.0f}")
    _line("CPU time: the command's, its PostgreSQL backend's", f"{cpu_s:>10.1f} s, {postgres_cpu_s:.1f} s")
    _line(
        "peak RSS of the command",
        f"{rss_mb:>10.0f} MB (goal < {TARGET_RSS_MB} MB: {_verdict(rss_mb < TARGET_RSS_MB)})",
    )
    _line(
        "the reader alone: wall, CPU, peak RSS (records read)",
        f"{reader_s:>10.1f} s, {reader_cpu_s:.1f} s, {reader_rss_mb:.0f} MB ({int(reader_output):,})",
    )
    print(f"where the command's time went (PostgreSQL's activity sampled every {SAMPLE_SECONDS} s):")
    total = sum(samples.values()) or 1
    for what, n in samples.most_common(8):
        _line(f"  {what}", f"{n * SAMPLE_SECONDS:>10.1f} s  {n / total:>4.0%}")
    details = {
        "comments": created,
        "file_mb": round(size_mb, 1),
        "seconds": round(seconds, 2),
        "comments_per_s": round(rate),
        "peak_rss_mb": round(rss_mb, 1),
        "cpu_s": round(cpu_s, 1),
        "postgres_cpu_s": round(postgres_cpu_s, 1),
        "reader_seconds": round(reader_s, 2),
        "reader_cpu_s": round(reader_cpu_s, 1),
        "reader_peak_rss_mb": round(reader_rss_mb, 1),
        "time_by_statement_s": {what: round(n * SAMPLE_SECONDS, 1) for what, n in samples.most_common()},
    }
    # req/s: comments imported per second; p50..p99: the one run of the command, in ms.
    return [
        harness.observed(
            "import", f"file://{path}", 1, seconds, [seconds * 1000], rate, shares, details, problems
        )
    ]


# Reads the file through the registry's reader, as the import does, and nothing else.
READ_ALONE = """
import sys
from pathlib import Path
from commentsvc.imports import READERS
from commentsvc.model.imports import Source
print(sum(1 for _ in READERS[Source.DISQUS](Path(sys.argv[1]))))
"""


def _child(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run ``python ARGS`` to its end: its wall time, CPU time (user and system), its own peak RSS
    in MB (wait4: this child's alone, not the bench's other children), and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [harness.PYTHON, *args],
        env=env,
        cwd=harness.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise BenchError(f"`{' '.join(args[:4])}` failed ({process.returncode}):\n{output}{errors}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output  # ru_maxrss: KiB


def _counts(output: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^\s+(.+?): (\d+)$", output, re.MULTILINE)}


async def _stored(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id
                         JOIN sites s ON s.id = a.site_id WHERE s.slug = $1) AS comments,
                      (SELECT coalesce(sum(comment_count), 0) FROM articles a JOIN sites s ON s.id = a.site_id
                         WHERE s.slug = $1) AS counted""",
            SITE,
        )
        return dict(row)
    finally:
        await conn.close()


@contextlib.contextmanager
def _sampling(database_url: str) -> Iterator[tuple[Counter, dict[int, float]]]:
    """Every SAMPLE_SECONDS, what the run's database is doing for others than this sampler: the
    first words of each active statement, or "the command's Python (PostgreSQL idle)"; and the
    CPU time each of those backends has used (read from /proc: PostgreSQL runs here)."""
    samples: Counter = Counter()
    backends: dict[int, float] = {}
    stop = threading.Event()

    async def sample() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            while not stop.is_set():
                rows = await conn.fetch(
                    """SELECT pid, state, query FROM pg_stat_activity
                       WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""
                )
                active = [r["query"] for r in rows if r["state"] == "active"]
                if rows:
                    samples.update(
                        [_statement(q) for q in active] or ["the command's Python (PostgreSQL idle)"]
                    )
                for row in rows:
                    backends[row["pid"]] = _cpu_seconds(row["pid"]) or backends.get(row["pid"], 0.0)
                await asyncio.sleep(SAMPLE_SECONDS)
        finally:
            await conn.close()

    thread = threading.Thread(target=asyncio.run, args=(sample(),), daemon=True)
    thread.start()
    try:
        yield samples, backends
    finally:
        stop.set()
        thread.join()


def _cpu_seconds(pid: int) -> float | None:
    """A process's CPU time so far (user and system), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _statement(query: str) -> str:
    """A statement's first words, enough to tell the import's steps apart."""
    words = " ".join(query.split())
    for table in re.findall(r"(?:INSERT INTO|UPDATE|COPY|CREATE TEMP TABLE|DELETE FROM) (\w+)", words):
        return f"{words.split()[0]} … {table}"
    return words[:50]


def _line(label: str, value: str) -> None:
    print(f"{label:<{LABEL}}{value}")


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"
