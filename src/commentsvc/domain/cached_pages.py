"""What anonymous readers are served from the cache (thread pages, with their HTML fragment and
feed, counts, and the site's feed, by scope), and the subscriber that marks a scope stale when an
event changes what it shows (and recently changed, so that reads of it see the change at once:
domain.reading)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

import asyncpg

from commentsvc.domain.events import RETRIES
from commentsvc.kv.cache import GenerationalCache
from commentsvc.kv.recent import RecentChanges
from commentsvc.model.events import COMMENT_STATUS_TYPES, SITE_TYPES, Event, EventType

PUBLIC = "approved"


def thread_scope(slug: str, key: str) -> str:
    """The cache scope of one article's thread (keys can be long: hashed)."""
    return f"thread:{slug}:{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def counts_scope(slug: str) -> str:
    return f"counts:{slug}"


def feed_scope(slug: str) -> str:
    """The site's feed: any change to a comment of the site may show in it."""
    return f"feed:{slug}"


def site_scope(slug: str) -> str:
    """Every comment of the site (moderators' search); nothing of it is cached."""
    return f"site:{slug}"


def count_moved(event: Event) -> bool:
    """Whether the article's public count may have moved: a comment became, or stopped being,
    published (or the event does not say), or an import added comments."""
    if event.type == EventType.ARTICLE_IMPORTED:
        return True
    if event.type not in COMMENT_STATUS_TYPES:
        return False
    before, after = event.data.get("previous_status"), event.data.get("status")
    return (before == PUBLIC) != (after == PUBLIC)


class StalePages:
    """Every event about an article makes its thread's pages stale, and the site's feed (and the
    site's counts when its public count moved, or an import added to it). Bumping a scope twice,
    or in another order, leaves it as stale: delivered at commit. Each scope is marked recently
    changed before it is made stale, so a page computed for its new generation is never read from
    a replica that has not replayed the change yet."""

    name: ClassVar[str] = "cached-pages"
    types: ClassVar[frozenset[EventType]] = (
        SITE_TYPES - {EventType.USER_BANNED, EventType.USER_UNBANNED}
    ) | {EventType.ARTICLE_GUESTS_CLAIMED}
    at_commit: ClassVar[bool] = True
    retries = RETRIES
    delay = timedelta(0)
    wants = None

    def __init__(self, cache: GenerationalCache, recent: RecentChanges) -> None:
        self._cache = cache
        self._recent = recent

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        scopes = {thread_scope(e.site, e.article) for e in events if e.article is not None}
        scopes |= {feed_scope(e.site) for e in events if e.article is not None}
        scopes |= {counts_scope(e.site) for e in events if count_moved(e)}
        await self._recent.mark(sorted(scopes | {site_scope(e.site) for e in events if e.site is not None}))
        # The cache keeps what Redis could not be told and sends it once Redis answers.
        await self._cache.invalidate(*sorted(scopes))
