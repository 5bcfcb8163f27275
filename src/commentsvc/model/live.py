"""Live updates: what a reader of an article is told as it happens (API.md, "Live updates")."""

from __future__ import annotations

import msgspec


class Published(msgspec.Struct, frozen=True):
    """A comment that became public: what the `comment` event carries."""

    id: int
    parent_id: int | None


class Announcement(msgspec.Struct, frozen=True, omit_defaults=True):
    """What one outbox event (``id``) tells an article's readers: a comment that became public,
    and the article's public count when it moved (both, one, never neither)."""

    id: int
    comment: Published | None = None
    count: int | None = None


class StreamStart(msgspec.Struct, frozen=True):
    """An article a stream follows: the newest event id when the stream opened is where a stream
    that does not resume starts."""

    site_id: int
    article_id: int
    last_event_id: int
