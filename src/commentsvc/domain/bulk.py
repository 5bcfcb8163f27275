"""Deciding up to 100 comments of a site at once (a raid, an author's recent comments): each
comment decided once, through the same path as a single decision, all in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import asyncpg
import msgspec

from commentsvc.domain import decisions
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.moderation import Moderation
from commentsvc.domain.rendering import check_text
from commentsvc.errors import Invalid
from commentsvc.model.moderation import Decidable, OpenItem
from commentsvc.store import comments, moderation

MAX_COMMENTS = 100
ACTIONS = ("approve", "reject", "spam")

# What became of each comment of a bulk decision (README, "Moderating"; the OpenAPI document).
Outcome = Literal["applied", "already_decided", "edited", "deleted", "duplicate", "not_found"]


class BulkResult(msgspec.Struct, frozen=True):
    comment_id: int
    outcome: Outcome


def outcome(comment: Decidable | None, item: OpenItem | None, action: str) -> Outcome:
    """What the action does to a comment of the site (None: the site has no such comment), with
    its open item if it has one."""
    if comment is None:
        return "not_found"
    if item is not None:
        # As a single decision sent without a revision: for the text the item was opened with.
        return "applied" if comment.revision == item.opened_revision else "edited"
    if comment.status == "deleted":
        return "deleted"
    # A comment a moderator removed stays removed: reinstating one is an appeal's (decided by
    # another moderator), never a side effect of a sweep.
    if comment.status in (decisions.NEW_STATUS[action], *decisions.REMOVED):
        return "already_decided"
    return "applied"


def _rule(item: OpenItem | None) -> str | None:
    """What a removal is counted under: the rule that opened the comment's item (None: it had none)."""
    return None if item is None else decisions.removal_rule(item.kind, item.held_because, item.reported)


class BulkDecisions:
    def __init__(self, moderation: Moderation, events: Dispatcher) -> None:
        self._moderation = moderation
        self._events = events

    async def decide(
        self,
        conn: asyncpg.Connection,
        slug: str,
        moderator_id: int,
        comment_ids: Sequence[int],
        action: str,
        reason: str | None,
    ) -> list[BulkResult]:
        """One result per id given, in order; an id given again is a ``duplicate``. A comment with
        an open item has the item decided, as from the queue; one without (found by a search, on
        its author's record) changes status, unless it has it already or a moderator removed it."""
        if not 1 <= len(comment_ids) <= MAX_COMMENTS:
            raise Invalid(f"comment_ids: give 1 to {MAX_COMMENTS} comment ids.", field="comment_ids")
        if action not in ACTIONS:
            raise Invalid(f"action: one of {', '.join(ACTIONS)}.", field="action")
        if reason is not None:
            check_text(reason, "reason")
        unique = list(dict.fromkeys(comment_ids))
        async with self._events.transaction(conn) as change:
            site = await self._moderation.site_for(conn, slug, moderator_id)
            found = {comment.id: comment for comment in await comments.lock_decidable(conn, unique, site.id)}
            # Read under the comments' locks, which every decision takes first: an item open now
            # stays open until this transaction decides it.
            items = await moderation.open_items(conn, list(found))
            outcomes = {cid: outcome(found.get(cid), items.get(cid), action) for cid in unique}
            applied = [cid for cid in unique if outcomes[cid] == "applied"]
            await moderation.decide_all(
                conn, [items[cid].id for cid in applied if cid in items], action, moderator_id, reason
            )
            await decisions.apply(
                conn,
                change,
                moderator_id,
                action,
                reason,
                [decisions.Target(found[cid], _rule(items.get(cid))) for cid in applied],
            )
        seen: set[int] = set()
        results = []
        for cid in comment_ids:
            results.append(BulkResult(cid, "duplicate" if cid in seen else outcomes[cid]))
            seen.add(cid)
        return results
