"""A site's export (``commentsvc export``, read back by ``commentsvc restore``): one JSON object a
line, each a record whose ``type`` says what it is. The README's "Backing up a site" lists them.

The ids are the exported database's: they only tie the records together (a comment names its
article, parent and author by them), and a restore gives everything ids of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from commentsvc.model.moderation import Finding
from commentsvc.model.sites import SiteSettings

FORMAT = "commentsvc-export"
VERSION = 1


class _Record(msgspec.Struct, frozen=True, tag_field="type"):
    pass


class Header(_Record, tag="header"):
    """The first line: what the file is, and the site it was taken from."""

    format: str
    version: int
    site: str
    name: str
    origins: list[str]
    settings: SiteSettings
    exported_at: datetime


class ArticleRecord(_Record, tag="article"):
    id: int
    key: str
    title: str | None
    url: str | None
    locked: bool
    created_at: datetime


class UserRecord(_Record, tag="user"):
    """Everyone the site's records name: authors, voters, reporters, moderators. Personal data."""

    id: int
    username: str
    display_name: str
    email: str | None
    email_verified: bool
    created_at: datetime
    guest: bool  # an imported author without an account (never signed in)


class CommentRecord(_Record, tag="comment"):
    id: int
    article_id: int
    parent_id: int | None
    root_id: int | None  # its thread's top-level comment
    depth: int
    status: str
    author_id: int | None  # None: an erased account's, or an import's nameless author
    body: str
    body_html: str
    held_because: str | None
    held_findings: list[Finding] | None  # what each rule that held it found
    moderation_reason: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    revision: int
    score: int  # the sum of its votes (a restore counts them again)


class VersionRecord(_Record, tag="version"):
    """An earlier text of an edited comment."""

    comment_id: int
    revision: int
    body: str
    edited_at: datetime | None  # None: the text as first posted


class VoteRecord(_Record, tag="vote"):
    comment_id: int
    user_id: int
    value: int
    voted_at: datetime


class ReportRecord(_Record, tag="report"):
    comment_id: int
    user_id: int
    reason: str
    note: str | None
    created_at: datetime


class ModerationItemRecord(_Record, tag="moderation_item"):
    id: int
    comment_id: int
    kind: str
    opened_revision: int
    created_at: datetime
    decision: str | None  # None: still awaiting one
    reason: str | None
    ban_days: int | None
    decided_by: int | None
    decided_at: datetime | None


class BanRecord(_Record, tag="ban"):
    user_id: int
    until: datetime | None  # None: permanent
    reason: str
    banned_by: int | None
    created_at: datetime


class StandingRecord(_Record, tag="standing"):
    """An author's approved and removed comments on the site, as the moderation policy counts
    them (a rejection stays when its comment is deleted afterwards)."""

    user_id: int
    approved: int
    rejected: int


class AuditEntryRecord(_Record, tag="audit"):
    id: int
    actor_id: int | None
    action: str
    comment_id: int | None
    target_user_id: int | None
    article_key: str | None
    reason: str | None
    rule: str | None  # for a removal and what follows it: the rule that had held the comment
    change: dict[str, Any] | None  # what a site owner's change changed
    created_at: datetime


class AppealRecord(_Record, tag="appeal"):
    """A removed comment's author contesting its removal (an audit entry), as a moderation item."""

    comment_id: int
    item_id: int
    removal_id: int
    text: str
    created_at: datetime


class RoleRecord(_Record, tag="role"):
    user_id: int
    role: str
    granted_at: datetime


class End(_Record, tag="end"):
    """The last line: how many records came before it (the header included), so that a file cut
    short at a line's end is not taken for a whole one."""

    records: int


Record = (
    Header
    | ArticleRecord
    | UserRecord
    | CommentRecord
    | VersionRecord
    | VoteRecord
    | ReportRecord
    | ModerationItemRecord
    | BanRecord
    | StandingRecord
    | AuditEntryRecord
    | AppealRecord
    | RoleRecord
    | End
)
# The records of a site's data, in the order an export writes them (the header before, the end after).
BODY: tuple[type[_Record], ...] = (
    UserRecord,
    ArticleRecord,
    CommentRecord,
    VersionRecord,
    VoteRecord,
    ReportRecord,
    ModerationItemRecord,
    BanRecord,
    StandingRecord,
    AuditEntryRecord,
    AppealRecord,
    RoleRecord,
)


class RestoreSummary(msgspec.Struct, frozen=True):
    """What a restore wrote."""

    articles: int
    comments: int
    accounts: int  # the file's users found as accounts of this instance
    guests: int  # the others, kept as guests
    votes: int
    reports: int
    moderation_items: int
    bans: int
    audit_entries: int
    appeals: int
    roles: int
    roles_not_given: int  # roles of users who have no account here
