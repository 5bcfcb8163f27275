"""Appeals against removals, and the figures of a transparency report."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import msgspec

from commentsvc.model.notifications import Recipient


class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the appeal's item rejected: the removal stands
    REINSTATED = "reinstated"  # the appeal's item approved: the comment is published again


class Removal(msgspec.Struct, frozen=True):
    """A removal as the audit log recorded it: the entry, its moderator, reject or spam, why, and
    the rule that had brought the comment before them (None: no queue item did)."""

    id: int
    actor_id: int | None
    action: str
    reason: str | None
    rule: str | None


class StoredAppeal(msgspec.Struct, frozen=True):
    """An appeal with the removal it contests; ``removed_by`` is its moderator's username."""

    item_id: int
    comment_id: int
    text: str
    created_at: datetime
    removal: Removal
    removed_by: str | None


class MonthOfRule(msgspec.Struct, frozen=True):
    """One month's removals of one rule (None: removed without a queue item), the appeals
    against such removals made that month, and the appeals decided that month."""

    month: date
    rule: str | None
    removals: int
    appeals: int
    reversals: int
    upheld: int


class DecidedAppeal(msgspec.Struct, frozen=True):
    """What the letter telling an appeal's outcome says: to whom, about which comment where, and
    the deciding moderator's reason."""

    recipient: Recipient
    site: str
    article_key: str
    article_title: str | None
    article_url: str | None
    comment_id: int
    body: str
    body_html: str
    reason: str | None
