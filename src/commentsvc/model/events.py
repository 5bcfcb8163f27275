"""Domain events: what changed, as subscribers (cache invalidation, the moderation queue feed, and
later e-mail, webhooks and live updates) hear of it. Each is written in the transaction of its
change; its data holds public fields only."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec


class EventType(StrEnum):
    """Every event type (API.md, "Domain events", and this service's additions)."""

    COMMENT_CREATED = "comment.created"
    COMMENT_EDITED = "comment.edited"
    COMMENT_DELETED = "comment.deleted"
    COMMENT_APPROVED = "comment.approved"
    COMMENT_REJECTED = "comment.rejected"
    COMMENT_REPORTED = "comment.reported"
    COMMENT_VOTED = "comment.voted"  # its score moved
    COMMENT_PINNED = "comment.pinned"  # first in every sort of its thread
    COMMENT_UNPINNED = "comment.unpinned"
    USER_BANNED = "user.banned"
    USER_UNBANNED = "user.unbanned"
    USER_ERASED = "user.erased"  # one per article the erased account wrote or voted on
    ARTICLE_LOCKED = "article.locked"
    ARTICLE_UNLOCKED = "article.unlocked"
    ARTICLE_DESCRIBED = "article.described"  # its title or URL was set
    ARTICLE_IMPORTED = "article.imported"  # comments were imported into it (one event per article)
    COMMENT_APPEALED = "comment.appealed"  # its author contests its removal: an item of kind appeal
    APPEAL_DECIDED = "appeal.decided"  # reinstated (with comment.approved) or upheld
    ARTICLE_GUESTS_CLAIMED = "article.guests_claimed"  # its imported comments now show a reader's account
    # An account's own, of no site and never sent to a site's webhooks: what its mail is about.
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_VERIFICATION_REQUESTED = "account.verification_requested"  # again, or for a new address
    ACCOUNT_RESET_REQUESTED = "account.reset_requested"
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed"
    ACCOUNT_EMAIL_CHANGED = "account.email_changed"  # the old address is told
    ACCOUNT_EMAIL_VERIFIED = "account.email_verified"  # its data's email is proved the account's


# The types a site's webhooks may take: every type about a site but a claim of guests, which
# changes no webhook's payload (they name no author).
SITE_TYPES = frozenset(t for t in EventType if not t.value.startswith("account.")) - {
    EventType.ARTICLE_GUESTS_CLAIMED
}


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


class CommentPinned(msgspec.Struct, frozen=True):
    """The data of comment.pinned and .unpinned."""

    id: int
    pinned: bool


class UserBanned(msgspec.Struct, frozen=True):
    user_id: int
    until: datetime | None  # None: permanent


class UserChange(msgspec.Struct, frozen=True):
    """The data of user.unbanned and user.erased."""

    user_id: int


class ArticleChange(msgspec.Struct, frozen=True):
    """The data of article.locked, .unlocked and .described."""

    locked: bool


class ArticleImported(msgspec.Struct, frozen=True):
    """The data of article.imported: how many comments the import added, and whether some of them
    (``held`` of them) wait in the moderation queue."""

    comments: int
    held: int
    item_opened: bool


class CommentAppealed(msgspec.Struct, frozen=True):
    id: int


class AppealDecided(msgspec.Struct, frozen=True):
    id: int
    outcome: str  # model.appeals.AppealStatus: reinstated or upheld


class GuestsClaimed(msgspec.Struct, frozen=True):
    """The data of article.guests_claimed: ``comments`` of the article, imported under guests
    whose address the account ``user_id`` verified, are now the account's."""

    user_id: int
    comments: int


class AccountChange(msgspec.Struct, frozen=True, omit_defaults=True):
    """The data of the account.* events. ``token_id`` names the single-use token its e-mail
    carries (the token itself is never written); ``email`` is the address written to where it is
    not the account's current one (a new address to verify, an old one to tell), or the address
    account.email_verified proved."""

    user_id: int
    token_id: int | None = None
    email: str | None = None


DATA: dict[EventType, type[msgspec.Struct]] = {
    EventType.COMMENT_CREATED: CommentChange,
    EventType.COMMENT_EDITED: CommentChange,
    EventType.COMMENT_DELETED: CommentChange,
    EventType.COMMENT_APPROVED: CommentChange,
    EventType.COMMENT_REJECTED: CommentChange,
    EventType.COMMENT_REPORTED: CommentReported,
    EventType.COMMENT_VOTED: CommentVoted,
    EventType.COMMENT_PINNED: CommentPinned,
    EventType.COMMENT_UNPINNED: CommentPinned,
    EventType.USER_BANNED: UserBanned,
    EventType.USER_UNBANNED: UserChange,
    EventType.USER_ERASED: UserChange,
    EventType.ARTICLE_LOCKED: ArticleChange,
    EventType.ARTICLE_UNLOCKED: ArticleChange,
    EventType.ARTICLE_DESCRIBED: ArticleChange,
    EventType.ARTICLE_IMPORTED: ArticleImported,
    EventType.COMMENT_APPEALED: CommentAppealed,
    EventType.APPEAL_DECIDED: AppealDecided,
    EventType.ARTICLE_GUESTS_CLAIMED: GuestsClaimed,
    EventType.ACCOUNT_REGISTERED: AccountChange,
    EventType.ACCOUNT_VERIFICATION_REQUESTED: AccountChange,
    EventType.ACCOUNT_RESET_REQUESTED: AccountChange,
    EventType.ACCOUNT_PASSWORD_CHANGED: AccountChange,
    EventType.ACCOUNT_EMAIL_CHANGED: AccountChange,
    EventType.ACCOUNT_EMAIL_VERIFIED: AccountChange,
}


# An article's events are of the stream named so, followed by the article's id.
ARTICLE_STREAM = "article:"


class NewEvent(msgspec.Struct, frozen=True):
    """An event about to be written with its change. Events of one stream (an article; one user
    on one site for a user event, whose ``article_id`` is None; an account, for an event of no
    site) are delivered in the order they were written."""

    type: EventType
    site_id: int | None
    article_id: int | None
    data: msgspec.Struct

    @property
    def stream(self) -> str:
        if self.article_id is not None:
            return f"{ARTICLE_STREAM}{self.article_id}"
        if self.site_id is None:
            return f"account:{self.data.user_id}"  # type: ignore[attr-defined]
        return f"user:{self.site_id}:{self.data.user_id}"  # type: ignore[attr-defined]


def account_event(
    type: EventType, user_id: int, token_id: int | None = None, email: str | None = None
) -> NewEvent:
    return NewEvent(type, None, None, AccountChange(user_id, token_id, email))


class Event(msgspec.Struct, frozen=True):
    """An event as written: ``site`` is the site's slug (None for an account's own event),
    ``article`` the article's key."""

    id: int
    type: EventType
    site_id: int | None
    site: str | None
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

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1 for the first)."""
        return min(self.first * 2 ** min(attempts - 1, 40), self.most)

    @property
    def span(self) -> timedelta:
        """How long a delivery is tried for, from its first attempt to its last."""
        return sum((self.delay(n) for n in range(1, self.attempts)), timedelta(0))


class Delivery(msgspec.Struct, frozen=True):
    """A subscriber's delivery of an event, as the command line lists it."""

    subscriber: str
    event: Event
    attempts: int
    due_at: datetime
    dead_at: datetime | None
    last_error: str | None
