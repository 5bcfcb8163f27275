"""Articles: a page of a site that readers comment on, created with its first comment."""

from __future__ import annotations

import msgspec

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
