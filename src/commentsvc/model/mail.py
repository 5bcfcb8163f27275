"""An e-mail as the domain writes it, before it becomes a MIME message (mail/message.py)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class Letter(msgspec.Struct, frozen=True, kw_only=True):
    """One e-mail to one reader. ``key`` names what caused it (an event and the recipient, a
    digest's day): the Message-ID is made of it and it is sent once, so a retry can never send a
    second, different message. ``written_at`` (the cause's time) is its Date, for the same reason.
    ``html`` is already sanitised; ``links`` are the links it carries, for the log when mail is
    written to files."""

    key: str
    to: str
    to_name: str
    language: str
    subject: str
    text: str
    html: str
    written_at: datetime
    links: tuple[str, ...] = ()
    # The one-click unsubscribe URL (RFC 8058) of a notification; None for an account's own mail.
    unsubscribe: str | None = None
