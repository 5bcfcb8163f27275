"""Reading threads: who may see which comment, placeholders, nesting, and cursors."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from commentsvc.errors import Invalid
from commentsvc.store.comments import CommentRow

SORTS = ("oldest", "newest", "top")


class Viewer(msgspec.Struct, frozen=True):
    user_id: int | None
    moderates: bool


class Author(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str


class Comment(msgspec.Struct, omit_defaults=True):
    """A comment as one viewer sees it; ``body`` (the source) only for its author and moderators."""

    id: int
    parent_id: int | None
    author: Author | None
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    status: str
    score: int
    depth: int
    my_vote: int
    replies: list[Comment]
    body: str | None = None
    moderation_reason: str | None = None


def can_see(row: CommentRow, viewer: Viewer) -> bool:
    """Published comments for all; their own held or removed ones for authors
    (with the moderator's reasons); everything for moderators."""
    if row.status == "approved" or viewer.moderates:
        return True
    return row.status != "deleted" and row.author_id is not None and row.author_id == viewer.user_id


def shown(row: CommentRow, viewer: Viewer, replies: list[Comment] | None = None) -> Comment:
    """The comment as this viewer sees it; the source and the moderator's reasons
    only for its author and moderators."""
    privileged = viewer.moderates or (row.author_id is not None and row.author_id == viewer.user_id)
    author = (
        Author(row.author_id, row.author_username or "", row.author_display_name or "")
        if row.author_id is not None
        else None
    )
    return Comment(
        id=row.id,
        parent_id=row.parent_id,
        author=author,
        body_html=row.body_html,
        created_at=row.created_at,
        edited_at=row.edited_at,
        status=row.status,
        score=row.score,
        depth=row.depth,
        my_vote=row.my_vote,
        replies=replies or [],
        body=row.body if privileged else None,
        moderation_reason=row.moderation_reason if privileged else None,
    )


def placeholder(row: CommentRow, replies: list[Comment]) -> Comment:
    """What stays of a comment the viewer may not see but whose replies they may."""
    return Comment(
        id=row.id,
        parent_id=row.parent_id,
        author=None,
        body_html="",
        created_at=row.created_at,
        edited_at=None,
        status="deleted" if row.status == "deleted" else "removed",
        score=0,
        depth=row.depth,
        my_vote=0,
        replies=replies,
    )


def build_threads(top_level: list[CommentRow], replies: list[CommentRow], viewer: Viewer) -> list[Comment]:
    """Nest replies (given oldest first) under their parents; drop what the viewer
    may not see unless a visible reply hangs under it."""
    children: dict[int, list[CommentRow]] = {}
    for row in replies:
        children.setdefault(row.parent_id, []).append(row)  # type: ignore[arg-type]
    return [node for row in top_level if (node := _nested(row, children, viewer)) is not None]


def _nested(row: CommentRow, children: dict[int, list[CommentRow]], viewer: Viewer) -> Comment | None:
    # A function of the module, not a closure calling itself: such a closure is a reference
    # cycle, which kept every row of the page alive until the garbage collector came by.
    kept = [
        node for child in children.get(row.id, []) if (node := _nested(child, children, viewer)) is not None
    ]
    if can_see(row, viewer):
        return shown(row, viewer, kept)
    return placeholder(row, kept) if kept else None


def encode_cursor(sort: str, row: CommentRow) -> str:
    raw = msgspec.json.encode([sort, row.created_at.isoformat(), row.id, row.score])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# What a cursor holds, within what PostgreSQL can compare it with (comment ids are
# bigint, scores integer), so a forged one is refused rather than overflowing.
_CursorFields = tuple[
    str,
    datetime,
    Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)],
    Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)],
]


def decode_cursor(sort: str, cursor: str) -> tuple[datetime, int, int]:
    """(created_at, id, score) of the last comment of the previous page."""
    not_ours = Invalid("cursor: not a cursor this service gave out.", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, created_at, comment_id, score = msgspec.json.decode(raw, type=_CursorFields)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise not_ours from None
    if cursor_sort != sort:
        raise Invalid("cursor: it belongs to another sort order; start again without it.", field="cursor")
    if created_at.tzinfo is None:
        raise not_ours
    try:
        created_at.astimezone(UTC)  # a time at the edge of year 1 or 9999 has no UTC equivalent
    except OverflowError:
        raise not_ours from None
    return created_at, comment_id, score
