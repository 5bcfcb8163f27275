"""The moderation queue's feed: PostgreSQL's open items (the truth) into each site's Redis stream
(what moderators claim from), and decided items off it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

import asyncpg

from commentsvc.domain.events import RETRIES
from commentsvc.kv.queue import ModerationQueue
from commentsvc.model.events import Event, EventType
from commentsvc.store import moderation

FILL_BATCH = 1000
# Events that may open an item (a held comment, an edit held, reports reaching the threshold,
# held comments imported)...
OPENING = frozenset(
    {
        EventType.COMMENT_CREATED,
        EventType.COMMENT_EDITED,
        EventType.COMMENT_REPORTED,
        EventType.ARTICLE_IMPORTED,
    }
)
# ... and that close one (a decision, a moderator's deletion).
CLOSING = frozenset({EventType.COMMENT_APPROVED, EventType.COMMENT_REJECTED, EventType.COMMENT_DELETED})
# An appeal opens an item of its own, and its decision closes it (the moderators' alerts, which
# take OPENING, are not about appeals).
APPEALS = frozenset({EventType.COMMENT_APPEALED, EventType.APPEAL_DECIDED})


# What opens an item, as patterns of the data of those events (a subscriber's ``wants``).
OPENS: tuple[dict[str, object], ...] = ({"status": "pending"}, {"item_opened": True})


def opens(event: Event) -> bool:
    """Whether the event put an item in its site's queue."""
    if event.type in (EventType.COMMENT_REPORTED, EventType.ARTICLE_IMPORTED):
        return bool(event.data["item_opened"])
    if event.type == EventType.COMMENT_APPEALED:
        return True
    return event.type in OPENING and event.data["status"] == "pending"


class QueueFeed:
    """Pushes what a held comment, reports or an appeal opened, and takes decided items off.
    Pushing is idempotent (an item is pushed once, marked in PostgreSQL), taking off too, and
    neither cares about order: delivered at commit, so a moderator's next claim already has the item."""

    name: ClassVar[str] = "moderation-queue"
    types: ClassVar[frozenset[EventType]] = OPENING | CLOSING | APPEALS
    at_commit: ClassVar[bool] = True
    retries = RETRIES
    delay = timedelta(0)
    wants = None

    def __init__(self, queue: ModerationQueue) -> None:
        self._queue = queue

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        opened = {event.site_id for event in events if opens(event)}
        closed = [event.data["id"] for event in events if event.type in CLOSING | {EventType.APPEAL_DECIDED}]
        for site_id in sorted(opened):
            await self.fill(conn, site_id)
        if closed:
            entries: dict[int, list[str]] = defaultdict(list)
            for site_id, entry in await moderation.closed_entries(conn, closed):
                entries[site_id].append(entry)
            for site_id, ids in entries.items():
                await self._queue.done(site_id, ids)

    async def catch_up(self, conn: asyncpg.Connection, site_id: int) -> None:
        """Before a claim: if Redis lost the queue (restarted empty), every open item is queued
        again; and the site's open items missing from its stream (their push still waiting for a
        retry) are pushed."""
        if await self._queue.claim_rebuild():
            await moderation.forget_queue(conn)
        await self.fill(conn, site_id)

    async def fill(self, conn: asyncpg.Connection, site_id: int) -> None:
        """The site's open items not in its stream yet, pushed and marked (a concurrent fill
        waits for the items this one locked, then finds them queued)."""
        while True:
            async with conn.transaction():
                ids = await moderation.lock_unqueued(conn, site_id, FILL_BATCH)
                if ids:
                    entries = await self._queue.push(site_id, ids)
                    await moderation.mark_queued(conn, list(zip(ids, entries, strict=True)))
            if len(ids) < FILL_BATCH:
                return
