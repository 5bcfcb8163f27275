"""Searching a site's comments, as moderators do: what a search asks for, and what it finds."""

from __future__ import annotations

from datetime import datetime

import msgspec

from commentsvc.model.comments import StoredComment


class CommentQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which comments of a site, newest first; each filter left as None does not filter."""

    words: str | None = None  # read as websearch_to_tsquery reads them, in the site's language
    status: str | None = None
    author_id: int | None = None
    author_username: str | None = None
    article_key: str | None = None
    since: datetime | None = None  # included
    until: datetime | None = None  # excluded
    before: tuple[datetime, int] | None = None  # (created_at, id) of the last one already shown
    limit: int = 20


class FoundComment(msgspec.Struct, frozen=True):
    """A comment found, as moderators see it, with its article as it is now."""

    comment: StoredComment
    article_key: str
    article_title: str | None
    article_url: str | None
    article_locked: bool
