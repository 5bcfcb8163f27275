"""Articles: a page of a site that readers comment on, created with its first comment."""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from commentsvc.model.comments import OwnComment
from commentsvc.model.moderation import Ban


class Article(msgspec.Struct, frozen=True):
    id: int
    key: str
    title: str | None
    url: str | None
    locked: bool
    comment_count: int


class ThreadContext(msgspec.Struct, frozen=True):
    """What reading a thread needs to know before the comments: one query."""

    site_id: int
    article: Article | None
    viewer_moderates: bool
    # What a signed-in viewer may do: their ban on the site, if any, and how long they may edit.
    viewer_ban: Ban | None
    edit_window_minutes: int


class Vote(msgspec.Struct, frozen=True, array_like=True):
    """A reader's vote on a comment, and whether that comment is published (only moderators see
    their votes on the others)."""

    comment_id: int
    value: int
    published: bool


class ReaderPart(msgspec.Struct, frozen=True):
    """What of an article's thread is one signed-in reader's own, beside the page every reader
    shares: their votes on its comments, their published comments there with what
    only their author is shown, and whether they have comments there nobody else may see (held,
    removed...), which make their page another shape than the shared one."""

    votes: list[Vote]
    own: list[OwnComment]
    unpublished: bool


class ReaderAsked(NamedTuple):
    """A signed-in reader reading an article's thread."""

    slug: str
    key: str
    reader_id: int


class ReaderContext(msgspec.Struct, frozen=True):
    """A signed-in reader's thread context and their own part of the thread: one query."""

    context: ThreadContext
    part: ReaderPart
