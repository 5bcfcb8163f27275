"""Pinning: a moderator puts a published top-level comment first in every sort of its thread
(store.comments.page reads the pinned ones first), and takes it off again; a pinned comment that
stops being published (rejected, deleted) is no longer pinned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from commentsvc.domain.comments import NO_SUCH_COMMENT
from commentsvc.domain.events import ChangingSubscriber, Dispatcher
from commentsvc.domain.moderation import NOT_A_MODERATOR
from commentsvc.domain.threads import Comment, Viewer, shown
from commentsvc.errors import Conflict, Forbidden, NotFound, Unprocessable
from commentsvc.model.events import CommentChange, CommentPinned, Event, EventType, NewEvent
from commentsvc.store import comments, moderation

A_REPLY = "Only a top-level comment can be pinned: this one is a reply."
NOT_PUBLISHED = "Only a published comment can be pinned: approve it first."


class Pins:
    def __init__(self, events: Dispatcher) -> None:
        self._events = events

    async def pin(
        self, conn: asyncpg.Connection, comment_id: int, moderator_id: int, pinned: bool
    ) -> Comment:
        """Pin or unpin the comment, as a moderator of its site; pinning it again (or unpinning an
        unpinned one) changes nothing and records nothing."""
        async with self._events.transaction(conn) as change:
            # Taken first: a decision about this comment waits for the pin, or the pin for it.
            await comments.lock(conn, comment_id)
            context = await comments.context(conn, comment_id, moderator_id)
            if context is None:
                raise NotFound(NO_SUCH_COMMENT)
            if not context.viewer_moderates:
                raise Forbidden(NOT_A_MODERATOR)
            comment = context.comment
            if pinned and comment.parent_id is not None:
                raise Unprocessable(A_REPLY)
            if pinned and comment.status != "approved":
                raise Conflict(NOT_PUBLISHED)
            if await comments.set_pinned(conn, comment_id, pinned):
                await change.record(
                    NewEvent(
                        EventType.COMMENT_PINNED if pinned else EventType.COMMENT_UNPINNED,
                        context.site_id,
                        comment.article_id,
                        CommentPinned(comment_id, pinned),
                    )
                )
                await moderation.record(
                    conn,
                    site_id=context.site_id,
                    actor_id=moderator_id,
                    action="pin" if pinned else "unpin",
                    comment_id=comment_id,
                    target_user_id=comment.author_id,
                    article_key=context.article_key,
                )
            row = await comments.get_one(conn, comment_id, moderator_id, True)
        return shown(row, Viewer(moderator_id, True))


class UnpinRemoved(ChangingSubscriber):
    """Only a published comment may be pinned: one that is rejected or deleted loses its pin, with
    comment.unpinned for whoever follows pins (the thread's pages, webhooks). Unpinning one that
    is not pinned changes nothing: delivered at commit."""

    name: ClassVar[str] = "pins"
    types: ClassVar[frozenset[EventType]] = frozenset({EventType.COMMENT_REJECTED, EventType.COMMENT_DELETED})

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        async with self.dispatcher().transaction(conn) as change:
            for event in events:
                removed = CommentChange(**event.data)
                unpinned = await comments.unpin_unpublished(conn, removed.id)
                if unpinned is not None:
                    site_id, article_id = unpinned
                    await change.record(
                        NewEvent(
                            EventType.COMMENT_UNPINNED, site_id, article_id, CommentPinned(removed.id, False)
                        )
                    )
