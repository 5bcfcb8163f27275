"""What everyone sees of an article besides its comments, its title and URL: the site's to say (a
moderator's first comment on it, `PUT /api/v1/sites/{site}/articles`, `commentsvc demo`), never
whoever happens to comment first, as any client can send what the widget would."""

from __future__ import annotations

from collections.abc import Collection

import asyncpg
import msgspec

from commentsvc.domain import rendering
from commentsvc.domain.sites import web_url
from commentsvc.errors import Invalid
from commentsvc.model.articles import Article
from commentsvc.model.sites import Site
from commentsvc.store import articles

MAX_TITLE = 300
MAX_URL = 2048


class Described(msgspec.Struct, frozen=True):
    article: str
    article_title: str | None
    article_url: str | None


def check_title(title: str | None) -> str | None:
    title = rendering.check_text(title, "article_title").strip() if title else ""
    return title or None


def check_article_url(url: str, origins: Collection[str]) -> str:
    """The URL as browsers read it (and stored so), on one of the site's origins."""
    rendering.check_text(url, "article_url")
    try:
        parsed = web_url(url)
    except ValueError:
        raise Invalid(
            "article_url: not a plain http(s) URL (no credentials, backslashes or line breaks).",
            field="article_url",
        ) from None
    if parsed.origin not in origins:
        raise Invalid("article_url: not on one of this site's registered origins.", field="article_url")
    return parsed.href


async def describe_article(
    conn: asyncpg.Connection, site: Site, key: str, title: str | None, url: str | None
) -> Article:
    """Set the article's title and URL (the key checked by the caller), creating the article if
    nobody has commented on it yet; the article as stored."""
    checked_url = check_article_url(url, site.origins) if url else None
    return await articles.describe(conn, site.id, key, check_title(title), checked_url)
