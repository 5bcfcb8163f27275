"""An author's standing on a site, bans, reports, moderation items and audit records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

# Why an item is before a moderator, by the contract's names (API 1.1, `held_because`).
Rule = Literal[
    "pre_moderation",
    "links",
    "blocked_word",
    "repeated_text",
    "burst",
    "first_comment",
    "unverified_email",
    "reports",
    "spam_score",
]


class Finding(msgspec.Struct, frozen=True, omit_defaults=True):
    """A rule that held a comment (or put it before a moderator), with what it found."""

    rule: Rule
    # What was counted: links in the text, the author's comments in the burst, distinct reporters.
    count: int | None = None
    # The site's setting the count went over or reached: max_links, the burst's count.
    limit: int | None = None
    # The burst's window, in minutes.
    minutes: int | None = None
    # The site's blocked words found in the text, as the site lists them.
    words: list[str] | None = None


class Ban(msgspec.Struct, frozen=True):
    until: datetime | None
    reason: str


class Standing(msgspec.Struct, frozen=True):
    """An author's record on one site, as the moderation policy needs it."""

    account_created_at: datetime
    approved: int
    rejected: int
    recent_comments: int  # within the site's burst window
    same_text_before: bool
    ban: Ban | None  # in force on the site
    email_verified: bool


class PastComment(msgspec.Struct, frozen=True):
    """A comment written on a site, and its author's record there as it stood when they wrote it
    (their earlier comments counted by their statuses now), for judging it again."""

    body_html: str
    created_at: datetime
    standing: Standing
    held_because: str | None
    held_findings: list[Finding]


class Report(msgspec.Struct, frozen=True):
    user_id: int | None
    username: str | None
    reason: str
    note: str | None
    created_at: datetime


class StoredItem(msgspec.Struct, frozen=True):
    """An item with everything a moderator needs to decide it in context."""

    id: int
    site_id: int
    comment_id: int
    kind: str
    created_at: datetime
    stream_id: str | None
    decision: str | None
    decided_by: int | None
    decided_at: datetime | None
    reason: str | None
    ban_days: int | None
    # The comment's revision when the item was opened, and now. Read with the item, before the
    # comment's text is: an edit in between makes the moderator's decision stale (refused), it
    # never puts a text they were not shown under a revision they were.
    opened_revision: int
    revision: int
    held_because: str | None  # as policy.hold_reason said it, when the comment was last held
    held_findings: list[Finding]  # what policy.findings found then (empty for comments held before)
    article_key: str
    article_title: str | None
    article_url: str | None
    article_locked: bool
    author_created_at: datetime | None
    author_approved: int
    author_rejected: int
    parent_body_html: str | None
    parent_author: str | None
    reports: list[Report]


class Decidable(msgspec.Struct, frozen=True):
    """A comment as deciding about it needs it, read under its lock."""

    id: int
    site_id: int
    article_id: int
    article_key: str
    parent_id: int | None
    author_id: int | None
    status: str
    revision: int


class OpenItem(msgspec.Struct, frozen=True):
    """A comment's item awaiting a decision, the comment's revision when it was opened, and what
    brought it (its removal is counted under that rule)."""

    id: int
    comment_id: int
    opened_revision: int
    kind: str
    held_because: str | None  # the comment's, as policy.hold_reason said it
    reported: bool


class NewAuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    site_id: int
    actor_id: int
    action: str
    comment_id: int | None = None
    target_user_id: int | None = None
    article_key: str | None = None
    reason: str | None = None
    # What a site owner's change changed; the rule a removal (or an appeal, its outcome) counts under.
    change: dict[str, Any] | None = None
    rule: str | None = None


class StoredAuthor(msgspec.Struct, frozen=True):
    """An account and its record on one site: its standing and the ban in force there."""

    id: int
    username: str
    display_name: str
    created_at: datetime
    approved: int
    rejected: int
    ban_until: datetime | None
    ban_reason: str | None
    banned_by: str | None
    banned_at: datetime | None
    banned: bool


class BanEntry(msgspec.Struct, frozen=True):
    """A ban or unban of an author on a site, as the audit log has it."""

    action: str  # 'ban' or 'unban'
    at: datetime
    by: str | None  # the moderator's username (None: an erased account)
    reason: str | None


class AuditRecord(msgspec.Struct, frozen=True):
    """What an audit-log entry says, its target's names and standing read now."""

    id: int
    actor_id: int | None
    actor: str | None
    action: str
    comment_id: int | None
    target_user_id: int | None
    target_username: str | None
    target_banned: bool  # from the site, now
    article_key: str | None
    reason: str | None
    # What a site owner's change changed: {setting: [before, after]}, the origin, the webhook… (never a secret)
    change: dict[str, Any] | None
    created_at: datetime


class StoredAuditRecord(AuditRecord, frozen=True):
    # The article the entry is about (its own key's, else its comment's), as it is now.
    about_key: str | None
    about_title: str | None
    about_url: str | None
    about_locked: bool | None
