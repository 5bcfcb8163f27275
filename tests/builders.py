"""Builders for the things tests need: readers, tokens, sites."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx

from commentsvc.domain.roles import grant
from commentsvc.domain.sites import create_site
from commentsvc.model.posting import CommentToWrite, ContextQuery
from commentsvc.store import posting as store_posting

PASSWORD = "a long and unusual passphrase"
_serial = itertools.count(1)


def unique_name(stem: str = "reader") -> str:
    return f"{stem}{next(_serial)}_{uuid.uuid4().hex[:6]}"


@dataclass
class Reader:
    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def registration(**overrides: object) -> dict[str, object]:
    username = str(overrides.pop("username", unique_name()))
    body: dict[str, object] = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, **overrides: object) -> Reader:
    body = registration(**overrides)
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Reader(
        id=data["user"]["id"],
        username=str(body["username"]),
        email=str(body["email"]),
        password=str(body["password"]),
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
    )


def unique_slug() -> str:
    return unique_name("site").lower().replace("_", "-")


async def make_site(
    db: asyncpg.Connection, origins: tuple[str, ...] = ("https://news.example",), **settings: object
) -> str:
    """A new site with these settings (the rest default, but for the burst signal:
    tests post many comments from new accounts); returns its slug."""
    slug = unique_slug()
    await create_site(db, slug, {"origins": list(origins), "burst_count": 1000, **settings})
    return slug


async def make_moderator(client: httpx.AsyncClient, db: asyncpg.Connection, site: str) -> Reader:
    reader = await register(client, username=unique_name("mod"))
    await grant(db, reader.username, "moderator", site)
    return reader


async def moderation_queue(
    client: httpx.AsyncClient, site: str, moderator: Reader, limit: int = 20
) -> list[dict]:
    """Claim up to ``limit`` items of the site's queue for this moderator."""
    response = await client.get(
        f"/api/v1/sites/{site}/moderation/queue", params={"limit": limit}, headers=moderator.auth
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def decide(client: httpx.AsyncClient, moderator: Reader, item_id: int, **decision: object) -> dict:
    response = await client.post(
        f"/api/v1/moderation/items/{item_id}/decision", json=decision, headers=moderator.auth
    )
    assert response.status_code == 200, response.text
    return response.json()


async def post_comment(
    client: httpx.AsyncClient,
    reader: Reader,
    site: str,
    article: str,
    body: str | None = None,
    **extra: object,
) -> dict:
    # Distinct by default: the same text twice from one author is held as a spam signal.
    body = body if body is not None else f"Bien vu ! ({next(_serial)})"
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        json={"article": article, "body": body, **extra},
        headers=reader.auth,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def new_row(
    conn: asyncpg.Connection,
    site: str,
    article: str,
    author: Reader,
    parent_id: int | None = None,
    body: str = "entre deux",
) -> CommentToWrite:
    """The posting context as it is read (on ``conn``) before a comment is written, and the row
    it would write."""
    body_hash = bytes(32)
    query = ContextQuery(site, article, author.id, parent_id, body_hash, None)
    [context] = await store_posting.posting_contexts(conn, [query], timedelta(hours=24))
    assert context is not None, f"no site {site!r}"
    return CommentToWrite(
        site_id=context.site.id,
        article_key=article,
        article_title=None,
        article_url=None,
        article_id=context.article.id if context.article else None,
        replied_to=parent_id,
        parent=context.parent,
        status="approved",
        author_id=author.id,
        body=body,
        body_html=f"<p>{body}</p>",
        client_hash=bytes(16),
        body_hash=body_hash,
        held_because=None,
        held_findings=[],
        idempotency_key=None,
        request_hash=None,
    )


async def read_thread(
    client: httpx.AsyncClient, site: str, article: str, reader: Reader | None = None, **params: object
) -> dict:
    response = await client.get(
        f"/api/v1/sites/{site}/comments",
        params={"article": article, **params},
        headers=reader.auth if reader else {},
    )
    assert response.status_code == 200, response.text
    return response.json()


def flatten(comments: list[dict]) -> list[dict]:
    """Every comment of a thread, depth first."""
    return [c for comment in comments for c in (comment, *flatten(comment["replies"]))]


async def waiting_on_locks(db: asyncpg.Connection) -> int:
    """How many of the service's queries wait for a lock (held by a test's transaction, say)."""
    await db.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first snapshot
    return await db.fetchval(
        """SELECT count(*) FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'"""
    )


async def eventually(condition: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)
