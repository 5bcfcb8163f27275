"""Which notification e-mails a reader wants, and the replies a reply notification tells them of."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class AlertsChoice(StrEnum):
    """How a moderator hears of their sites' queues (users.moderation_alerts)."""

    INSTANT = "instant"
    DIGEST = "digest"
    OFF = "off"


class NotificationSettings(msgspec.Struct, frozen=True):
    replies: bool  # an e-mail when a published reply answers one of their comments
    moderation: AlertsChoice


class Recipient(msgspec.Struct, frozen=True):
    id: int
    email: str
    display_name: str
    language: str


class NoticedReply(msgspec.Struct, frozen=True):
    """A published reply as its notification quotes it: ``author`` is None once the account is
    erased; ``answers`` is the source of the recipient's comment it answers."""

    id: int
    author: str | None
    body: str
    body_html: str
    answers: str
    site: str
    article_key: str
    article_title: str | None
    article_url: str | None


class RepliesToTell(msgspec.Struct, frozen=True):
    """The replies one letter tells its recipient of, oldest first."""

    recipient: Recipient
    replies: list[NoticedReply]
