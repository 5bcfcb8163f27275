"""Reading threads: who may see which comment, placeholders, nesting, and cursors."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from commentsvc.errors import Invalid
from commentsvc.model.comments import StoredComment

SORTS = ("oldest", "newest", "top")
# Replies of one top-level comment in a page, oldest first: a thread of 20,000 replies must not
# make a page of megabytes. The rest come as many at a time, from the top-level comment's cursor.
REPLIES_PER_PAGE = 50
# What a cursor to a thread's further replies says in place of a sort order.
REPLIES = "replies"


class Viewer(msgspec.Struct, frozen=True):
    user_id: int | None
    moderates: bool


class Author(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str


class AppealState(msgspec.Struct, frozen=True, omit_defaults=True):
    """Where its author's appeal against its removal stands, with the reason its decision gave."""

    status: Annotated[str, msgspec.Meta(description="pending, upheld or reinstated")]
    reason: str | None = None


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
    pinned: Annotated[
        bool, msgspec.Meta(description="Pinned by a moderator: first in every sort of its thread.")
    ]
    body: str | None = None
    moderation_reason: str | None = None
    # Only for its author and moderators, once its author appealed its removal.
    appeal: AppealState | None = None
    more_replies: Annotated[
        int, msgspec.Meta(description="Replies to this top-level comment the reader may see past this page.")
    ] = 0
    replies_cursor: Annotated[
        str | None,
        msgspec.Meta(description="With `replies_to` set to this comment's id, the cursor to those replies."),
    ] = None


class MoreReplies(msgspec.Struct, frozen=True):
    """What is left of a thread's replies after a page: how many the viewer may see, from where."""

    count: int
    cursor: str


def can_see(row: StoredComment, viewer: Viewer) -> bool:
    """Published comments for all; their own held or removed ones for authors
    (with the moderator's reasons); everything for moderators."""
    if row.status == "approved" or viewer.moderates:
        return True
    return row.status != "deleted" and row.author_id is not None and row.author_id == viewer.user_id


def shown(row: StoredComment, viewer: Viewer, replies: list[Comment] | None = None) -> Comment:
    """The comment as this viewer sees it; the source, the moderator's reasons and its appeal
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
        pinned=row.pinned,
        body=row.body if privileged else None,
        moderation_reason=row.moderation_reason if privileged else None,
        appeal=AppealState(row.appeal, row.appeal_reason) if privileged and row.appeal else None,
    )


def placeholder(row: StoredComment, replies: list[Comment]) -> Comment:
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
        pinned=False,  # nothing to show of it: it marks nothing
    )


def first_replies(
    replies: list[StoredComment], per_thread: int
) -> tuple[list[StoredComment], dict[int, StoredComment]]:
    """Of replies given oldest first, up to ``per_thread + 1`` per thread: the first ``per_thread``
    of each thread, and the last of those for each thread that has more. (Each reply comes
    after its parent, so none of those kept is left without its parent.)"""
    kept: list[StoredComment] = []
    seen: dict[int, int] = {}
    last: dict[int, StoredComment] = {}
    cut: dict[int, StoredComment] = {}
    for row in replies:
        root_id: int = row.root_id  # type: ignore[assignment]
        seen[root_id] = seen.get(root_id, 0) + 1
        if seen[root_id] <= per_thread:
            kept.append(row)
            last[root_id] = row
        else:
            cut[root_id] = last[root_id]
    return kept, cut


def build_threads(
    top_level: list[StoredComment],
    replies: list[StoredComment],
    viewer: Viewer,
    more: dict[int, MoreReplies],
) -> list[Comment]:
    """Nest replies (given oldest first) under their parents; drop what the viewer may not see
    unless a visible reply hangs under it, here or further on (``more``, by top-level comment)."""
    children: dict[int, list[StoredComment]] = {}
    for row in replies:
        children.setdefault(row.parent_id, []).append(row)  # type: ignore[arg-type]
    return [
        node for row in top_level if (node := _thread(row, children, viewer, more.get(row.id))) is not None
    ]


def _thread(
    row: StoredComment, children: dict[int, list[StoredComment]], viewer: Viewer, more: MoreReplies | None
) -> Comment | None:
    """A top-level comment as _nested makes it, with where its replies go on: a placeholder if
    the reader may see none of it here but some of the replies to come."""
    node = _nested(row, children, viewer)
    if more is None:
        return node
    if node is None:
        node = placeholder(row, [])
    node.more_replies, node.replies_cursor = more.count, more.cursor
    return node


def _nested(row: StoredComment, children: dict[int, list[StoredComment]], viewer: Viewer) -> Comment | None:
    # A function of the module, not a closure calling itself: such a closure is a reference
    # cycle, which kept every row of the page alive until the garbage collector came by.
    kept = [
        node for child in children.get(row.id, []) if (node := _nested(child, children, viewer)) is not None
    ]
    if can_see(row, viewer):
        return shown(row, viewer, kept)
    return placeholder(row, kept) if kept else None


def encode_cursor(sort: str, row: StoredComment) -> str:
    raw = msgspec.json.encode([sort, row.created_at.isoformat(), row.id, row.score, row.pinned])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# What a cursor holds, within what PostgreSQL can compare it with (comment ids are
# bigint, scores integer), so a forged one is refused rather than overflowing. A cursor given
# out before comments could be pinned lacks the last value: it was after an unpinned comment.
_CursorFields = tuple[
    str,
    datetime,
    Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)],
    Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)],
    bool,
]
_BEFORE_PINS = 4


def decode_cursor(sort: str, cursor: str) -> tuple[datetime, int, int, bool]:
    """(created_at, id, score, pinned) of the last comment of the previous page."""
    not_ours = Invalid("cursor: not a cursor this service gave out.", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
        if isinstance(values, list) and len(values) == _BEFORE_PINS:
            values.append(False)
        cursor_sort, created_at, comment_id, score, pinned = msgspec.convert(values, type=_CursorFields)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise not_ours from None
    if cursor_sort != sort:
        raise Invalid("cursor: it belongs to another sort order; start again without it.", field="cursor")
    if created_at.tzinfo is None:
        raise not_ours
    try:
        created_at.astimezone(UTC)  # a time at the edge of year 1 or 9999 has no UTC equivalent
    except OverflowError:
        raise not_ours from None
    return created_at, comment_id, score, pinned
