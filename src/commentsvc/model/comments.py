"""Comments as stored, and what deciding about one needs."""

from __future__ import annotations

from datetime import datetime

import msgspec


class StoredComment(msgspec.Struct, frozen=True):
    """A comment as stored, with what one viewer may read of it (``my_vote`` is theirs)."""

    id: int
    article_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    status: str
    author_id: int | None
    author_username: str | None
    author_display_name: str | None
    # The Markdown source: only selected for its author and moderators.
    body: str | None
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    score: int
    my_vote: int
    # The moderator's statement of reasons: only for its author and moderators.
    moderation_reason: str | None
    # Its appeal (model.appeals.AppealStatus) and the reason its decision gave: only for its
    # author and moderators.
    appeal: str | None
    appeal_reason: str | None
    pinned: bool  # first in every sort of its thread (a top-level comment only)


class OwnComment(msgspec.Struct, frozen=True):
    """What of a published comment only its author (and moderators) are shown: its source, the
    moderator's reasons, and its appeal (model.appeals.AppealStatus) with its decision's reason."""

    id: int
    body: str
    moderation_reason: str | None
    appeal: str | None
    appeal_reason: str | None


class CommentOnArticle(msgspec.Struct, frozen=True):
    """A comment with the article it is on, as the article is now."""

    comment: StoredComment
    article_key: str
    article_title: str | None
    article_url: str | None
    article_locked: bool


class CommentContext(msgspec.Struct, frozen=True):
    """A comment with what deciding about it needs: its site, article and the viewer's role."""

    comment: StoredComment
    site_id: int
    site_slug: str
    article_key: str
    article_locked: bool
    edit_window_minutes: int
    report_threshold: int
    viewer_moderates: bool


class Parent(msgspec.Struct, frozen=True):
    id: int
    article_id: int
    root_id: int | None
    depth: int
    status: str
    author_id: int | None


class Version(msgspec.Struct, frozen=True):
    """One text a comment had: ``edited_at`` is when an edit wrote it, None for the first."""

    body: str
    edited_at: datetime | None
