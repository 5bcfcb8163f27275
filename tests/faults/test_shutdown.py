"""SIGTERM to `commentsvc serve --workers 2` under load: the posts in flight finish, later
ones are refused, and the process exits within its grace period."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx

from commentsvc.config import Settings
from tests.builders import Reader, eventually, make_site, post_comment, register, unique_name
from tests.faults.conftest import database
from tests.served import serving

IN_FLIGHT = 6


async def post(
    base_url: str, author: Reader, site: str, article: str
) -> httpx.Response | httpx.TransportError:
    """One post on a connection of its own; a transport error is returned, not raised."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        try:
            return await client.post(
                f"/api/v1/sites/{site}/comments",
                json={"article": article, "body": f"Envoyé pendant l'arrêt ({unique_name('post')})"},
                headers=author.auth,
            )
        except httpx.TransportError as exc:
            return exc


@contextlib.asynccontextmanager
async def article_held(settings: Settings, site: str, article: str) -> AsyncIterator[asyncpg.Connection]:
    """Posts to the article wait (for its row, to move its count) until this ends."""
    async with database(settings) as db, db.transaction():
        await db.execute(
            """SELECT 1 FROM articles a JOIN sites s ON s.id = a.site_id
               WHERE s.slug = $1 AND a.key = $2 FOR UPDATE OF a""",
            site,
            article,
        )
        yield db


async def commented(base_url: str, settings: Settings, article: str) -> tuple[str, Reader, dict]:
    """A new site, an author, and the article with the author's first comment."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async with database(settings) as db:
            site = await make_site(db)
        author = await register(client)
        return site, author, await post_comment(client, author, site, article)


async def in_flight_requests(base_url: str) -> int:
    """Requests the service is serving, as its metrics say (less the scrape asking)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        scraped = (await client.get("/metrics")).text
    line = next(
        line for line in scraped.splitlines() if line.startswith("commentsvc_http_requests_in_flight ")
    )
    return int(float(line.split()[1])) - 1


async def shutting_down(log: Path, workers: int) -> bool:
    return log.read_text().count("Shutting down") >= workers


async def has(count, at_least: int) -> bool:  # type: ignore[no-untyped-def]
    return await count >= at_least


async def exited(process: subprocess.Popen[bytes], seconds: float) -> int:
    return await asyncio.to_thread(process.wait, seconds)


async def test_sigterm_lets_the_posts_in_flight_finish_and_refuses_later_ones(service_settings, tmp_path):
    grace, log, article = 10, tmp_path / "serve.log", unique_name("article")
    with serving(service_settings, ["--workers", "2", "--grace-seconds", str(grace)], log) as served:
        site, author, first = await commented(served.url, service_settings, article)
        async with article_held(service_settings, site, article):
            in_flight = [
                asyncio.create_task(post(served.url, author, site, article)) for _ in range(IN_FLIGHT)
            ]
            await eventually(lambda: has(in_flight_requests(served.url), IN_FLIGHT), "every post in flight")
            served.process.send_signal(signal.SIGTERM)
            await eventually(lambda: shutting_down(log, 2), "both workers shutting down")
            late = [asyncio.create_task(post(served.url, author, site, article)) for _ in range(3)]
        answers = await asyncio.gather(*in_flight)
        assert await exited(served.process, grace) == 0
        late_answers = await asyncio.gather(*late)

    assert [getattr(a, "status_code", a) for a in answers] == [201] * IN_FLIGHT
    for answer in late_answers:
        assert isinstance(answer, httpx.TransportError) or answer.status_code == 201, answer
    accepted = {first["id"]} | {
        a.json()["id"] for a in answers + late_answers if isinstance(a, httpx.Response)
    }
    async with database(service_settings) as db:
        stored = await db.fetch("SELECT id FROM comments WHERE id = ANY($1::bigint[])", list(accepted))
    assert {row["id"] for row in stored} == accepted


async def test_sigterm_exits_within_the_grace_period_even_with_a_request_that_never_ends(
    service_settings, tmp_path
):
    grace, log, article = 2, tmp_path / "serve.log", unique_name("article")
    with serving(service_settings, ["--workers", "2", "--grace-seconds", str(grace)], log) as served:
        site, author, _ = await commented(served.url, service_settings, article)
        async with article_held(service_settings, site, article):
            stuck = [asyncio.create_task(post(served.url, author, site, article)) for _ in range(2)]
            await eventually(lambda: has(in_flight_requests(served.url), 2), "both posts in flight")
            served.process.send_signal(signal.SIGTERM)
            # Margin over the grace period: the workers' own shutdown after it, on a busy machine.
            assert await exited(served.process, grace + 10) == 0
        answers = await asyncio.gather(*stuck)
    # Cut short: the client is told to retry, and nothing half-done was stored.
    for answer in answers:
        assert isinstance(answer, httpx.Response) and answer.status_code == 503, answer
        assert answer.headers["retry-after"] and answer.json()["code"] == "unavailable"
    async with database(service_settings) as db:
        assert (
            await db.fetchval(
                "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.key = $1",
                article,
            )
            == 1
        )
