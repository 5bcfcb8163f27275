"""What a feed of a site's latest published comments holds: each comment with its article."""

from __future__ import annotations

from datetime import datetime

import msgspec


class FeedEntry(msgspec.Struct, frozen=True):
    """A published comment as a feed shows it: its author's public name only."""

    id: int
    parent_id: int | None
    author_name: str | None  # None once its author's account is erased
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    article_key: str
    article_title: str | None
    article_url: str | None
