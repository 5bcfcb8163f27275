"""Domain events: what changed, as subscribers (cache invalidation, the moderation queue feed, and
later e-mail, webhooks and live updates) hear of it. Each is written in the transaction of its
change; its data holds public fields only."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec


class EventType(StrEnum):
    """Every event type (API.md, "Domain events"; the last four are this service's additions)."""

    COMMENT_CREATED = "comment.created"
    COMMENT_EDITED = "comment.edited"
    COMMENT_DELETED = "comment.deleted"
    COMMENT_APPROVED = "comment.approved"
    COMMENT_REJECTED = "comment.rejected"
    COMMENT_REPORTED = "comment.reported"
    COMMENT_VOTED = "comment.voted"  # its score moved
    USER_BANNED = "user.banned"
    USER_UNBANNED = "user.unbanned"
    USER_ERASED = "user.erased"  # one per article the erased account wrote or voted on
    ARTICLE_LOCKED = "article.locked"
    ARTICLE_UNLOCKED = "article.unlocked"
    ARTICLE_DESCRIBED = "article.described"  # its title or URL was set


# Types whose change may move an article's public count, or open or close a moderation item.
COMMENT_STATUS_TYPES = frozenset(
    {
        EventType.COMMENT_CREATED,
        EventType.COMMENT_EDITED,
        EventType.COMMENT_DELETED,
        EventType.COMMENT_APPROVED,
        EventType.COMMENT_REJECTED,
    }
)


class CommentChange(msgspec.Struct, frozen=True, omit_defaults=True):
    """The data of comment.created, .edited, .deleted, .approved and .rejected."""

    id: int
    parent_id: int | None
    status: str
    previous_status: str | None = None  # None for a new comment


class CommentReported(msgspec.Struct, frozen=True):
    id: int
    item_opened: bool  # the reports reached the site's threshold: the comment is in the queue


class CommentVoted(msgspec.Struct, frozen=True):
    id: int
    score: int


class UserBanned(msgspec.Struct, frozen=True):
    user_id: int
    until: datetime | None  # None: permanent


class UserChange(msgspec.Struct, frozen=True):
    """The data of user.unbanned and user.erased."""

    user_id: int


class ArticleChange(msgspec.Struct, frozen=True):
    """The data of article.locked, .unlocked and .described."""

    locked: bool


DATA: dict[EventType, type[msgspec.Struct]] = {
    EventType.COMMENT_CREATED: CommentChange,
    EventType.COMMENT_EDITED: CommentChange,
    EventType.COMMENT_DELETED: CommentChange,
    EventType.COMMENT_APPROVED: CommentChange,
    EventType.COMMENT_REJECTED: CommentChange,
    EventType.COMMENT_REPORTED: CommentReported,
    EventType.COMMENT_VOTED: CommentVoted,
    EventType.USER_BANNED: UserBanned,
    EventType.USER_UNBANNED: UserChange,
    EventType.USER_ERASED: UserChange,
    EventType.ARTICLE_LOCKED: ArticleChange,
    EventType.ARTICLE_UNLOCKED: ArticleChange,
    EventType.ARTICLE_DESCRIBED: ArticleChange,
}


# An article's events are of the stream named so, followed by the article's id.
ARTICLE_STREAM = "article:"


class NewEvent(msgspec.Struct, frozen=True):
    """An event about to be written with its change. Events of one stream (an article, or one
    user on one site for a user event, whose ``article_id`` is None) are delivered in the order
    they were written."""

    type: EventType
    site_id: int
    article_id: int | None
    data: msgspec.Struct

    @property
    def stream(self) -> str:
        if self.article_id is not None:
            return f"{ARTICLE_STREAM}{self.article_id}"
        return f"user:{self.site_id}:{self.data.user_id}"  # type: ignore[attr-defined]


class Event(msgspec.Struct, frozen=True):
    """An event as written: ``site`` is the site's slug, ``article`` the article's key."""

    id: int
    type: EventType
    site_id: int
    site: str
    article: str | None
    occurred_at: datetime
    data: dict[str, Any]


def comment_event(
    type: EventType,
    site_id: int,
    article_id: int,
    comment_id: int,
    parent_id: int | None,
    status: str,
    previous_status: str | None = None,
) -> NewEvent:
    return NewEvent(type, site_id, article_id, CommentChange(comment_id, parent_id, status, previous_status))


class Retries(msgspec.Struct, frozen=True):
    """Delays after a failed attempt: ``first``, doubled each attempt up to ``most``; after
    ``attempts`` attempts the delivery is dead."""

    first: timedelta
    most: timedelta
    attempts: int


class Delivery(msgspec.Struct, frozen=True):
    """A subscriber's delivery of an event, as the command line lists it."""

    subscriber: str
    event: Event
    attempts: int
    due_at: datetime
    dead_at: datetime | None
    last_error: str | None
