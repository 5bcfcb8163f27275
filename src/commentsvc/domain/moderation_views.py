"""What moderators are shown: a queue item and an audit-log entry, each with the article it is
about as it is now, and why an item is before them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec
from ada_url import URL

from commentsvc.domain.threads import Comment
from commentsvc.model.appeals import StoredAppeal
from commentsvc.model.moderation import AuditRecord, Report, StoredAuditRecord, StoredItem

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
# comments.held_because keeps what policy.hold_reason answered; the one answer it gives under
# another name than the contract's is renamed here, on the way out (the stored rows stay as they are).
RULE_STORED_AS: dict[str, Rule] = {"too_many_links": "links"}


def rule_named(stored: str) -> Rule:
    """A rule by the contract's name, however it was stored."""
    return RULE_STORED_AS.get(stored, stored)  # type: ignore[return-value]


def held_because(kind: str, stored: str | None, reports: Sequence[Report]) -> list[Rule]:
    """The rules that put the item before a moderator: the one that held its comment (when it is
    held, not merely reported: a comment published since keeps its old reason), and readers' reports."""
    rules: list[Rule] = []
    if kind == "held" and stored is not None:
        rules.append(rule_named(stored))
    if reports:
        rules.append("reports")
    return rules


def article_link(key: str, url: str | None, origins: Sequence[str]) -> str | None:
    """Where a moderator can read the article: its URL, else its key read as a path on the site's
    first origin. None when that leads off the site's origins (a key is whatever a client sent:
    `//elsewhere.example`, `javascript:…`) or carries credentials."""
    if url is not None:
        return url
    if not origins:
        return None
    try:
        resolved = URL(key, base=origins[0])
    except ValueError:
        return None
    if resolved.origin not in origins or resolved.username or resolved.password:
        return None
    return resolved.href


class ItemArticle(msgspec.Struct, frozen=True):
    """An article as moderators see it, now."""

    key: str
    title: str | None
    url: str | None
    # Its url, else its key on the site's first origin; None when neither is a page of the site.
    link: str | None
    locked: bool


class AuthorHistory(msgspec.Struct, frozen=True):
    approved: int
    rejected: int
    account_created_at: datetime | None


class ParentComment(msgspec.Struct, frozen=True):
    body_html: str
    author: str | None


class Decision(msgspec.Struct, frozen=True):
    action: str
    reason: str | None
    ban_days: int | None
    decided_by: int | None
    decided_at: datetime


class ItemAppeal(msgspec.Struct, frozen=True):
    """An appeal item's appeal: its author's text, and the removal it contests (who removed the
    comment, reject or spam, why, and the rule that had brought it before them)."""

    text: str
    appealed_at: datetime
    removal: str
    removal_reason: str | None
    removed_by: str | None
    removed_by_id: int | None
    rule: Rule | None


class Item(msgspec.Struct, frozen=True):
    item_id: int
    kind: str
    # The comment's revision as shown: a decision sends it back, and is refused once it is stale.
    revision: int
    comment: Comment
    article: ItemArticle
    reports: list[Report]
    claimed_by: int | None
    claimed_until: datetime | None
    author_history: AuthorHistory
    parent: ParentComment | None
    decision: Decision | None
    held_because: list[Rule]
    # Only for an item of kind appeal.
    appeal: ItemAppeal | None = None


class AuditEntry(AuditRecord, frozen=True):
    # The article the entry is about (its own, or its comment's), as it is now.
    article: ItemArticle | None


class AuditPage(msgspec.Struct, frozen=True):
    entries: list[AuditEntry]
    next_cursor: str | None


def audit_entry(entry: StoredAuditRecord, origins: Sequence[str]) -> AuditEntry:
    article = None
    if entry.about_key is not None:
        link = article_link(entry.about_key, entry.about_url, origins)
        article = ItemArticle(
            entry.about_key, entry.about_title, entry.about_url, link, bool(entry.about_locked)
        )
    recorded = {field: getattr(entry, field) for field in AuditRecord.__struct_fields__}
    return AuditEntry(**recorded, article=article)


def shown_item(
    row: StoredItem,
    comment: Comment,
    origins: Sequence[str],
    claimed_by: int | None,
    claimed_until: datetime | None,
    appeal: StoredAppeal | None = None,
) -> Item:
    """The item of this row, its comment as the moderator sees it (and its appeal, for one)."""
    decision = (
        Decision(row.decision, row.reason, row.ban_days, row.decided_by, row.decided_at)
        if row.decision is not None and row.decided_at is not None
        else None
    )
    return Item(
        item_id=row.id,
        kind=row.kind,
        revision=row.revision,
        comment=comment,
        article=ItemArticle(
            row.article_key,
            row.article_title,
            row.article_url,
            article_link(row.article_key, row.article_url, origins),
            row.article_locked,
        ),
        reports=row.reports,
        claimed_by=claimed_by if decision is None else None,
        claimed_until=claimed_until if decision is None else None,
        author_history=AuthorHistory(row.author_approved, row.author_rejected, row.author_created_at),
        parent=ParentComment(row.parent_body_html, row.parent_author)
        if row.parent_body_html is not None
        else None,
        decision=decision,
        held_because=held_because(row.kind, row.held_because, row.reports),
        appeal=_item_appeal(appeal) if appeal is not None else None,
    )


def _item_appeal(appeal: StoredAppeal) -> ItemAppeal:
    removal = appeal.removal
    return ItemAppeal(
        text=appeal.text,
        appealed_at=appeal.created_at,
        removal=removal.action,
        removal_reason=removal.reason,
        removed_by=appeal.removed_by,
        removed_by_id=removal.actor_id,
        rule=rule_named(removal.rule) if removal.rule else None,
    )
