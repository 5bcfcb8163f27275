"""A site's webhooks, as their admin sees them, and a delivery as a sender takes it."""

from __future__ import annotations

from datetime import datetime

import msgspec

from commentsvc.model.events import Event


class LastDelivery(msgspec.Struct, frozen=True, omit_defaults=True):
    """A webhook's latest attempt: ``status`` is the receiver's HTTP status (None when it was not
    reached, or did not answer in time); ``error`` says why the attempt failed; ``attempt`` is
    which attempt of its delivery it was (1 for the first)."""

    at: datetime
    status: int | None
    attempt: int
    error: str | None = None


class Webhook(msgspec.Struct, frozen=True):
    id: int
    url: str
    events: list[str]
    last_delivery: LastDelivery | None


class NewWebhook(msgspec.Struct, frozen=True):
    """A webhook just registered, with its secret: shown this once, never listed."""

    id: int
    url: str
    events: list[str]
    secret: str


class DueDelivery(msgspec.Struct, frozen=True):
    """A delivery claimed by a sender: ``attempt`` counts this one."""

    webhook_id: int
    url: str
    secret: str
    attempt: int
    event: Event
