"""Moderators' search of a site's comments: every status, the site's language's words (accents
and case aside), filters by status, author, article and dates, newest first, a page at a time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import msgspec

from commentsvc.domain.cached_pages import site_scope
from commentsvc.domain.comments import check_article_key
from commentsvc.domain.moderation_views import ItemArticle, article_link
from commentsvc.domain.reading import Reading
from commentsvc.domain.rendering import check_text
from commentsvc.domain.threads import Comment, Viewer, decode_cursor, encode_cursor, shown
from commentsvc.errors import Invalid
from commentsvc.model.search import CommentQuery
from commentsvc.model.search import FoundComment as FoundRow
from commentsvc.model.sites import Site
from commentsvc.store import search

# What a search's cursor says in place of a thread's sort order (threads.encode_cursor).
CURSOR = "search"
# An author named by their id, else by their username.
_USER_ID = re.compile(r"[0-9]{1,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Longer than any time ISO 8601 writes, to the microsecond with an offset.
_MOMENT_LENGTH = 40


class FoundComment(Comment, kw_only=True):
    """A comment as moderators see it (its status and source), with its article as it is now."""

    article: ItemArticle


class SearchPage(msgspec.Struct, frozen=True):
    comments: list[FoundComment]
    next_cursor: str | None


class Search(msgspec.Struct, frozen=True, kw_only=True):
    """A search as asked for: the query string's values, unchecked."""

    q: str | None = None
    status: str | None = None
    author: str | None = None
    article: str | None = None
    since: str | None = None  # `from`
    until: str | None = None  # `to`
    cursor: str | None = None
    limit: int = 20


async def find(reading: Reading, site: Site, moderator_id: int, asked: Search) -> SearchPage:
    """The site's comments that match, newest first (the caller has checked that the moderator
    moderates the site); from a replica unless the site changed lately."""
    query = _checked(asked)

    async def read(conn: asyncpg.Connection) -> list[FoundRow]:
        return await search.find(conn, site.id, site.settings.language, moderator_id, query)

    rows = await reading.run(read, site_scope(site.slug))
    viewer = Viewer(moderator_id, True)
    found = []
    for row in rows[: query.limit]:
        comment = shown(row.comment, viewer)
        link = article_link(row.article_key, row.article_url, site.origins)
        article = ItemArticle(row.article_key, row.article_title, row.article_url, link, row.article_locked)
        fields = {name: getattr(comment, name) for name in Comment.__struct_fields__}
        found.append(FoundComment(**fields, article=article))
    more = len(rows) > query.limit
    return SearchPage(found, encode_cursor(CURSOR, rows[query.limit - 1].comment) if more else None)


def _checked(asked: Search) -> CommentQuery:
    words = asked.q.strip() if asked.q is not None else ""
    if words:
        check_text(words, "q")
    author_id = author_username = None
    if asked.author is not None:
        check_text(asked.author, "author")
        if _USER_ID.fullmatch(asked.author):
            author_id = int(asked.author)
        else:
            author_username = asked.author
    if asked.article is not None:
        check_article_key(asked.article)
    since = _moment(asked.since, "from", next_day=False)
    until = _moment(asked.until, "to", next_day=True)
    if since is not None and until is not None and until <= since:
        raise Invalid("to: it must come after from.", field="to")
    before = None
    if asked.cursor is not None:
        created_at, comment_id, *_ = decode_cursor(CURSOR, asked.cursor)
        before = (created_at, comment_id)
    return CommentQuery(
        words=words or None,
        status=asked.status,
        author_id=author_id,
        author_username=author_username,
        article_key=asked.article,
        since=since,
        until=until,
        before=before,
        limit=asked.limit,
    )


def _moment(text: str | None, name: str, *, next_day: bool) -> datetime | None:
    """A time given as ISO 8601 (UTC when it names no offset), or a day: its start, or for the
    end of a range (``next_day``) the next day's start, so that the day is included."""
    if text is None:
        return None
    try:
        if len(text) > _MOMENT_LENGTH:
            raise ValueError(text)
        if _DAY.fullmatch(text):
            day = date.fromisoformat(text)
            if next_day:
                day += timedelta(days=1)
            return datetime.combine(day, time(), UTC)
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(
            f"{name}: a day (2026-11-25) or a time in ISO 8601 (2026-11-25T20:30:00Z), not {text[:_MOMENT_LENGTH]!r}.",
            field=name,
        ) from None
