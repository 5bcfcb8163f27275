"""Sending letters, each once: the subscribers that turn events into letters and hand them to the
transport. A letter whose key was sent is not sent again, so a delivery tried again after a
failure part-way (the relay gone for a while) sends only what it had not."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Protocol

import asyncpg

from commentsvc.mail.message import Undeliverable, message
from commentsvc.mail.transport import Transport
from commentsvc.model.events import Event, EventType, Retries
from commentsvc.model.mail import Letter
from commentsvc.store import mail as store

log = logging.getLogger("commentsvc.mail")

# A relay may be gone for a while: tried again for more than two days before given up (and then
# listed by `commentsvc events list --dead`, sent by `commentsvc events replay`).
MAIL_RETRIES = Retries(first=timedelta(seconds=5), most=timedelta(minutes=30), attempts=110)
# Longer than any delivery is retried for: a key forgotten is never needed again.
SENT_RETENTION = timedelta(days=30)
FORGET_EVERY_SECONDS = 3600.0


class LetterWriter(Protocol):
    async def letters(self, event: Event, conn: asyncpg.Connection) -> Sequence[Letter]:
        """The letters the event makes (none, often): read what they say now, on ``conn``."""


class Postman:
    """Hands letters to the transport, each at most once once it took it."""

    def __init__(self, transport: Transport, sender: str) -> None:
        self._transport = transport
        self._sender = sender
        self._forget_after = 0.0

    async def send(self, letter: Letter, conn: asyncpg.Connection) -> None:
        if await store.was_sent(conn, letter.key):
            return
        try:
            await self._transport.send(letter, message(letter, self._sender))
        except Undeliverable as exc:
            log.warning("mail: %s is not sent, and never will be: %s", letter.key, exc)
        await store.mark_sent(conn, letter.key)
        if time.monotonic() >= self._forget_after:
            await store.forget_sent(conn, SENT_RETENTION)
            self._forget_after = time.monotonic() + FORGET_EVERY_SECONDS


class MailSubscriber:
    """A subscriber that sends what ``writer`` makes of each event, in order; ``delay`` holds
    each event back that long (replies gathered into one letter); ``wants`` says which events
    of its types can make a letter (events.Subscriber)."""

    at_commit = False
    retries = MAIL_RETRIES

    def __init__(
        self,
        name: str,
        types: frozenset[EventType],
        writer: LetterWriter,
        postman: Postman,
        delay: timedelta = timedelta(0),
        wants: Sequence[Mapping[str, object]] | None = None,
    ) -> None:
        self.name = name
        self.types = types
        self.delay = delay
        self.wants = wants
        self._writer = writer
        self._postman = postman

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        for event in events:
            for letter in await self._writer.letters(event, conn):
                await self._postman.send(letter, conn)
