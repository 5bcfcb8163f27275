"""What an event tells an article's readers, and the subscriber that publishes it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

import asyncpg
import msgspec

from commentsvc.domain.cached_pages import PUBLIC, count_moved
from commentsvc.kv.live import LiveChannels
from commentsvc.model.events import COMMENT_STATUS_TYPES, Event, EventType, Retries
from commentsvc.model.live import Announcement, Published
from commentsvc.store import articles

# The types that can make a comment public (a new comment published at once, an approval, a
# reinstatement) or move an article's public count (a deletion, a rejection, an edit held).
TYPES = COMMENT_STATUS_TYPES
# Only those events of them that concern a public comment, before or after.
WANTS: tuple[dict[str, object], ...] = ({"status": PUBLIC}, {"previous_status": PUBLIC})
# An announcement is worth little after the resume window (streams.RESUME_WINDOW): a few quick
# tries, then it is dead, and the readers' next page shows the change anyway.
RETRIES = Retries(first=timedelta(seconds=1), most=timedelta(seconds=30), attempts=5)

ENCODER = msgspec.json.Encoder()


def told_of(event: Event) -> tuple[Published | None, bool]:
    """The comment the event made public (None if none), and whether the public count moved."""
    if event.type not in TYPES:
        return None, False
    made_public = event.data["status"] == PUBLIC and event.data.get("previous_status") != PUBLIC
    published = Published(event.data["id"], event.data["parent_id"]) if made_public else None
    return published, count_moved(event)


class LiveUpdates:
    """Publishes each announcement to its article's channel. At commit, so a reader hears of a
    comment as soon as its author does; duplicates (a retry after a lost acknowledgement) and
    any order are harmless, as streams drop an event id they already sent. Redis away fails the
    delivery, tried again shortly; the streams catch up from the outbox once Redis is back."""

    name: ClassVar[str] = "live-updates"
    types: ClassVar[frozenset[EventType]] = TYPES
    at_commit: ClassVar[bool] = True
    retries = RETRIES
    delay = timedelta(0)
    wants = WANTS

    def __init__(self, channels: LiveChannels) -> None:
        self._channels = channels

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        told: list[tuple[Event, str, str, Published | None, bool]] = []
        for event in events:
            published, moved = told_of(event)
            if event.site is not None and event.article is not None and (published or moved):
                told.append((event, event.site, event.article, published, moved))
        moved_keys: dict[int, set[str]] = defaultdict(set)
        for event, _, key, _, moved in told:
            if moved and event.site_id is not None:
                moved_keys[event.site_id].add(key)
        counts = {
            (site_id, key): count
            for site_id, keys in moved_keys.items()
            for key, count in (await articles.counts(conn, site_id, sorted(keys))).items()
        }
        for event, slug, key, published, moved in told:
            count = counts.get((event.site_id, key)) if moved else None
            if published is not None or count is not None:
                await self._channels.publish(
                    self._channels.channel(slug, key),
                    ENCODER.encode(Announcement(event.id, published, count)),
                )
