"""Appeals: the author of a comment a moderator removed contests the removal once, with a text
(the complaint-handling path of the EU's Digital Services Act, art. 20). The appeal is a queue
item of kind `appeal`, claimed and decided through Moderation like any other, but never by the
moderator who removed the comment: approving it reinstates the comment, rejecting it upholds the
removal, and either needs a reason, which its author is told (in the widget, and by e-mail: a
subscriber of appeal.decided). Also the figures of a transparency report, from the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from commentsvc.domain import decisions
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.rendering import check_text
from commentsvc.domain.threads import Viewer, can_see
from commentsvc.errors import Conflict, Forbidden, Invalid, NotFound, Reason
from commentsvc.model.appeals import MonthOfRule, StoredAppeal
from commentsvc.model.events import CommentAppealed, EventType, NewEvent
from commentsvc.model.moderation import StoredItem
from commentsvc.store import appeals as store
from commentsvc.store import comments, moderation, sites
from commentsvc.store.pool import connection

MAX_TEXT = 2000
NO_SUCH_COMMENT = "There is no such comment."
NOT_THE_AUTHOR = "Only its author can appeal a comment's removal."
NOT_REMOVED = "Only a comment a moderator removed can be appealed."
ALREADY_APPEALED = "You have already appealed this comment's removal: a removal is appealed once."
OWN_REMOVAL = "You removed this comment: another moderator decides its appeal."
APPEAL_ACTIONS = (
    "action: an appeal is decided by approve (the comment is reinstated) or reject (its removal is upheld)."
)
APPEAL_NEEDS_REASON = "reason: an appeal's decision needs a reason, which its author is told."
APPEAL_BANS_NOBODY = "ban_days: deciding an appeal bans nobody."
# The decision (domain/decisions.py) that approving or rejecting an appeal's item applies, which
# the audit log calls it by.
OUTCOMES = {"approve": "reinstate", "reject": "uphold"}
MAX_MONTHS = 120


def check_text_of_appeal(text: str) -> str:
    if not text.strip() or len(text) > MAX_TEXT:
        raise Invalid(f"text: an appeal says why, in 1 to {MAX_TEXT} characters.", field="text")
    return check_text(text, "text")


class Appeals:
    def __init__(self, db: asyncpg.Pool, events: Dispatcher) -> None:
        self._db = db
        self._events = events

    async def appeal(self, comment_id: int, author_id: int, text: str) -> None:
        """The author contests the latest removal of their comment: a new queue item of kind
        appeal, in the audit log, with its event."""
        text = check_text_of_appeal(text)
        async with connection(self._db) as conn, self._events.transaction(conn) as change:
            # Taken first, as edits and decisions take it: two appeals sent at once are one.
            await comments.lock(conn, comment_id)
            context = await comments.context(conn, comment_id, author_id)
            if context is None or not can_see(context.comment, Viewer(author_id, context.viewer_moderates)):
                raise NotFound(NO_SUCH_COMMENT)
            comment = context.comment
            if comment.author_id != author_id:
                raise Forbidden(NOT_THE_AUTHOR)
            removal = (
                await store.last_removal(conn, comment_id) if comment.status in decisions.REMOVED else None
            )
            if removal is None:
                raise Forbidden(NOT_REMOVED)
            if await store.exists(conn, comment_id):
                raise Conflict(ALREADY_APPEALED, reason=Reason.ALREADY_APPEALED)
            item_id = await moderation.open_item(conn, context.site_id, comment_id, "appeal")
            if item_id is None:  # (a removed comment has nothing open: its removal closed it)
                raise Conflict(NOT_REMOVED)
            await store.insert(conn, comment_id, item_id, removal.id, text)
            await moderation.record(
                conn,
                site_id=context.site_id,
                actor_id=author_id,
                action="appeal",
                comment_id=comment_id,
                target_user_id=author_id,
                article_key=context.article_key,
                reason=text,
                rule=removal.rule,
            )
            await change.record(
                NewEvent(
                    EventType.COMMENT_APPEALED,
                    context.site_id,
                    comment.article_id,
                    CommentAppealed(comment_id),
                )
            )


async def shown_with(conn: asyncpg.Connection, rows: Sequence[StoredItem]) -> dict[int, StoredAppeal]:
    """The appeals of those items that are appeals, by item id."""
    ids = [row.id for row in rows if row.kind == "appeal"]
    return await store.of_items(conn, ids) if ids else {}


def barred(moderator_id: int, appeals: dict[int, StoredAppeal]) -> set[int]:
    """The appeal items this moderator may not decide: those against their own removals."""
    return {item_id for item_id, appeal in appeals.items() if appeal.removal.actor_id == moderator_id}


async def check_decision(
    conn: asyncpg.Connection,
    row: StoredItem,
    moderator_id: int,
    action: str,
    reason: str | None,
    ban_days: int | None,
) -> StoredAppeal:
    """The appeal the item is; refuse a decision about it that its rules do not allow, before
    anything is written."""
    appeal = (await store.of_items(conn, [row.id]))[row.id]
    if appeal.removal.actor_id == moderator_id:
        raise Forbidden(OWN_REMOVAL)
    if action not in OUTCOMES:
        raise Invalid(APPEAL_ACTIONS, field="action")
    if reason is None:
        raise Invalid(APPEAL_NEEDS_REASON, field="reason")
    if ban_days is not None:
        raise Invalid(APPEAL_BANS_NOBODY, field="ban_days")
    return appeal


async def transparency(conn: asyncpg.Connection, slug: str, months: int) -> list[MonthOfRule]:
    """The site's removals, appeals, reversals and upheld removals of the last ``months`` months
    (this one included), by month and by rule."""
    if not 1 <= months <= MAX_MONTHS:
        raise Invalid(f"months: between 1 and {MAX_MONTHS}, not {months}.", field="months")
    site = await sites.get_site(conn, slug)
    if site is None:
        raise NotFound(f"There is no site named {slug!r}.")
    now = datetime.now(UTC)
    first = now.year * 12 + now.month - 1 - (months - 1)
    since = datetime(first // 12, first % 12 + 1, 1, tzinfo=UTC)
    return await store.by_month_and_rule(conn, site.id, since)
