"""The events' subscriber for webhooks: it only writes down, for each webhook of an event's site
that takes its type, a delivery to make, and wakes the sender. It never waits on a receiver, so
a slow or absent one holds up nothing of the events' delivery. Writing a delivery twice writes it
once, and deliveries are sent in no order: delivered at commit, by the process that wrote the
events (one indexed look-up of the site's webhooks), rather than claimed again by a dispatcher."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

import asyncpg

from commentsvc.domain.events import RETRIES
from commentsvc.domain.webhooks.sender import WebhookSender
from commentsvc.model.events import SITE_TYPES, Event, EventType
from commentsvc.store import webhooks as store


class WebhookFanOut:
    name: ClassVar[str] = "webhooks"
    types: ClassVar[frozenset[EventType]] = SITE_TYPES
    at_commit: ClassVar[bool] = True
    retries = RETRIES
    delay = timedelta(0)
    wants = None

    def __init__(self, sender: WebhookSender) -> None:
        self._sender = sender

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        # Written as it returns (the connection is in no transaction): the sender of this process
        # starts at once; the others find the deliveries when they next look.
        if await store.fan_out(conn, events):
            self._sender.wake()
