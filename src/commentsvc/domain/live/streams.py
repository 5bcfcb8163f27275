"""The open live update streams of this process: one Redis subscription (a pattern: every
article's channel) fanned out in memory to the streams of each article; each stream fills what it
may have missed (a resume, Redis away for a while) from the event outbox, kept in PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import msgspec

from commentsvc.background import stop_tasks
from commentsvc.domain.cached_pages import PUBLIC
from commentsvc.domain.comments import check_article_key
from commentsvc.domain.live.announcing import TYPES, told_of
from commentsvc.errors import NotFound, RateLimited, Unavailable
from commentsvc.kv.live import LiveChannels
from commentsvc.model.live import Announcement, Published, StreamStart
from commentsvc.store import live as store
from commentsvc.store.pool import connection

log = logging.getLogger("commentsvc.live")

# How far back a stream resumes (Last-Event-ID) or catches up once Redis is back.
RESUME_WINDOW = timedelta(minutes=5)
HEARTBEAT_SECONDS = 15.0
# Announcements waiting for a stream that does not read them: beyond, it is ended, and its reader
# resumes from the outbox.
MOST_WAITING = 256
# Event ids a stream remembers having sent, so that none is sent twice.
REMEMBERED = 1024
# What a client beyond the cap is told to wait: the cap is on streams held, not on a rate.
CAP_RETRY_SECONDS = 30

_DECODER = msgspec.json.Decoder(Announcement)


class Hub:
    def __init__(self, channels: LiveChannels, pool: asyncpg.Pool, most_per_address: int) -> None:
        self._channels = channels
        self._pool = pool
        self._most_per_address = most_per_address
        self._streams: dict[str, set[Stream]] = defaultdict(set)
        self._per_address: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # Whether this process hears the announcements (Redis answers, the subscription stands).
        self.following = False

    def start(self) -> None:
        self._task = asyncio.create_task(
            self._channels.follow(self._received, self._subscribed, self._lost), name="commentsvc-live"
        )

    async def stop(self) -> None:
        """End every stream (its reader reconnects elsewhere, and resumes), then the subscription."""
        self._closing = True
        for streams in self._streams.values():
            for stream in streams:
                stream.end()
        await stop_tasks(self._task)

    async def open(self, slug: str, key: str, address: str, last_event_id: int | None) -> Stream:
        """A stream of the article's announcements (after ``last_event_id``, when resuming)."""
        check_article_key(key)
        if self._closing:
            raise Unavailable("The service is shutting down; reconnect in a moment.")
        if self._per_address[address] >= self._most_per_address:
            raise RateLimited(
                f"Too many live streams from this address (at most {self._most_per_address}).",
                retry_after=CAP_RETRY_SECONDS,
                headers={"Retry-After": str(CAP_RETRY_SECONDS)},
            )
        async with connection(self._pool) as conn:
            start = await store.stream_start(conn, slug, key)
        if start is None:
            raise NotFound("No such article on this site (it has no comments yet).")
        return Stream(self, self._channels.channel(slug, key), address, start, last_event_id)

    def add(self, stream: Stream) -> None:
        self._streams[stream.channel].add(stream)
        self._per_address[stream.address] += 1

    def remove(self, stream: Stream) -> None:
        streams = self._streams[stream.channel]
        streams.discard(stream)
        if not streams:
            del self._streams[stream.channel]
        self._per_address[stream.address] -= 1
        if not self._per_address[stream.address]:
            del self._per_address[stream.address]

    async def missed(
        self, article_id: int, after: int
    ) -> tuple[list[tuple[int, Published | None, bool]], int | None]:
        """The article's events after event ``after`` (in the resume window) as ``told_of`` has
        them, by id, and its public count now if any of them moved it."""
        async with connection(self._pool) as conn:
            events = await store.missed(conn, article_id, after, RESUME_WINDOW, sorted(TYPES), PUBLIC)
            told = [(event.id, *told_of(event)) for event in events]
            moved = any(m for _, _, m in told)
            count = await store.public_count(conn, article_id) if moved else None
        return told, count

    def _received(self, channel: str, data: bytes) -> None:
        streams = self._streams.get(channel)
        if not streams:
            return
        try:
            announcement = _DECODER.decode(data)
        except msgspec.DecodeError:
            log.warning("live: an unreadable message on %s, dropped", channel)
            return
        for stream in streams:
            stream.push(announcement)

    def _subscribed(self) -> None:
        self.following = True
        for streams in self._streams.values():
            for stream in streams:
                stream.catch_up()

    def _lost(self) -> None:
        self.following = False


class Stream:
    """One reader's stream of an article's announcements."""

    def __init__(
        self, hub: Hub, channel: str, address: str, start: StreamStart, last_event_id: int | None
    ) -> None:
        self._hub = hub
        self.channel = channel
        self.address = address
        self._article_id = start.article_id
        # What the outbox is read after: a resume's last id, else where the outbox stood.
        self._after = start.last_event_id if last_event_id is None else last_event_id
        self._waiting: deque[Announcement] = deque()
        self._sent: dict[int, None] = {}
        self._wake = asyncio.Event()
        self._catching_up = last_event_id is not None
        self._ended = False
        # The highest event id sent: what the reader resumes after.
        self.last_id = self._after

    def push(self, announcement: Announcement) -> None:
        if len(self._waiting) >= MOST_WAITING:
            self.end()
            return
        self._waiting.append(announcement)
        self._wake.set()

    def catch_up(self) -> None:
        self._catching_up = True
        self._wake.set()

    def end(self) -> None:
        self._ended = True
        self._wake.set()

    async def announcements(self) -> AsyncIterator[Announcement | None]:
        """Each announcement once, in the order heard (what the outbox held first, when catching
        up), and None every HEARTBEAT_SECONDS when there was nothing to say; until ended."""
        self._hub.add(self)
        try:
            if self._catching_up:
                self._wake.set()
            while True:
                try:
                    await asyncio.wait_for(self._wake.wait(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield None
                    continue
                self._wake.clear()
                if self._ended:
                    return
                if self._catching_up:
                    self._catching_up = False
                    try:
                        missed = await self._missed()
                    except Unavailable:
                        return  # its reader comes back with its last id, and resumes then
                    for announcement in missed:
                        yield announcement
                while self._waiting:
                    announcement = self._waiting.popleft()
                    if self._first_time(announcement.id):
                        yield announcement
        finally:
            self._hub.remove(self)

    async def _missed(self) -> list[Announcement]:
        told, count = await self._hub.missed(self._article_id, self._after)
        missed: list[Announcement] = []
        moved = False
        for event_id, published, moved_by in told:
            if self._first_time(event_id):
                moved |= moved_by
                if published is not None:
                    missed.append(Announcement(event_id, published))
        if moved and count is not None:
            # The count now, once: the counts in between are past.
            missed.append(Announcement(self.last_id, None, count))
        return missed

    def _first_time(self, event_id: int) -> bool:
        if event_id in self._sent:
            return False
        self._sent[event_id] = None
        if len(self._sent) > REMEMBERED:
            del self._sent[next(iter(self._sent))]
        self.last_id = max(self.last_id, event_id)
        return True
