"""What a moderator's decision does to the comments it is about: the status it gives them, the
reason their authors are shown, and for each comment its events and its audit-log entry (with
the rule a removal is counted under). A queue item's decision, an appeal's and a bulk decision
go through here alike, on comments their transaction has locked."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

from commentsvc.domain.events import Change
from commentsvc.domain.moderation_views import rule_named
from commentsvc.model.appeals import AppealStatus
from commentsvc.model.events import AppealDecided, EventType, NewEvent, comment_event
from commentsvc.model.moderation import Decidable, NewAuditEntry
from commentsvc.store import comments, moderation

# What each decision does to the comment's status (None: leaves it as it is). An appeal's item is
# decided by approve or reject, which apply as reinstate or uphold (appeals.OUTCOMES).
NEW_STATUS = {
    "approve": "approved",
    "reject": "rejected",
    "spam": "spam",
    "keep": None,
    "reinstate": "approved",
    "uphold": None,
}
# The event of each decision (a comment kept as it was changed nothing: none; an upheld removal
# neither). A reinstatement's only when it did reinstate (a comment its author deleted meanwhile
# stays deleted).
DECIDED = {
    "approve": EventType.COMMENT_APPROVED,
    "reject": EventType.COMMENT_REJECTED,
    "spam": EventType.COMMENT_REJECTED,
    "reinstate": EventType.COMMENT_APPROVED,
}
REMOVED = ("rejected", "spam")
# A removal's reason is the author's to read (the widget shows it beside the removed comment); a
# reinstated comment has none any more.
REMOVALS = ("reject", "spam")
# What an appeal's decision tells its author (the appeal.decided event).
APPEAL_OUTCOMES = {"reinstate": AppealStatus.REINSTATED, "uphold": AppealStatus.UPHELD}


class Target(msgspec.Struct, frozen=True):
    """A comment to decide, and the rule its removal (or its appeal's outcome) is counted under
    in the audit log: `commentsvc site stats` (None: no queue item brought it)."""

    comment: Decidable
    rule: str | None = None


def removal_rule(kind: str, held: str | None, reported: bool) -> str | None:
    """The rule a removal decided from an item is counted under (sql/0023): readers' reports for a
    reported comment, else the rule that held it (the first of moderation_views.held_because's)."""
    if kind == "held" and held is not None:
        return rule_named(held)
    return "reports" if reported or kind == "reported" else None


def _moves(action: str, status: str) -> bool:
    """Whether the decision changes a comment in this status: a reinstatement only a removed one,
    any other decision any comment but a deleted one (and one in the status it gives already)."""
    if action == "reinstate":
        return status in REMOVED
    return status not in (NEW_STATUS[action], "deleted")


async def apply(
    conn: asyncpg.Connection,
    change: Change,
    moderator_id: int,
    action: str,
    reason: str | None,
    targets: Sequence[Target],
) -> None:
    """Apply the decision to each comment (locked by the caller, each once), a statement for all
    of them at each step: 100 comments cost what one does, nearly."""
    new_status = NEW_STATUS[action]
    moved: set[int] = set()
    if new_status is not None:
        moving = [(t.comment.id, t.comment.status) for t in targets if _moves(action, t.comment.status)]
        # Guarded all the same: of two racing decisions only one changes it (the counts follow, in
        # the database).
        moved = set(await comments.change_statuses(conn, moving, new_status)) if moving else set()
    if action in DECIDED:
        await change.record(
            *(
                comment_event(
                    DECIDED[action],
                    c.site_id,
                    c.article_id,
                    c.id,
                    c.parent_id,
                    new_status if c.id in moved else c.status,  # type: ignore[arg-type]
                    c.status,
                )
                for c in (t.comment for t in targets)
                if action != "reinstate" or c.id in moved
            )
        )
    if action in REMOVALS:
        await comments.set_moderation_reasons(conn, [t.comment.id for t in targets], reason)
    elif action == "reinstate" and moved:
        await comments.set_moderation_reasons(conn, list(moved), None)
    counted = action in REMOVALS or action in APPEAL_OUTCOMES
    await moderation.record_all(
        conn,
        [
            NewAuditEntry(
                site_id=t.comment.site_id,
                actor_id=moderator_id,
                action=action,
                comment_id=t.comment.id,
                target_user_id=t.comment.author_id,
                article_key=t.comment.article_key,
                reason=reason,
                rule=t.rule if counted else None,
            )
            for t in targets
        ],
    )
    if action in APPEAL_OUTCOMES:
        await change.record(
            *(
                NewEvent(
                    EventType.APPEAL_DECIDED,
                    t.comment.site_id,
                    t.comment.article_id,
                    AppealDecided(t.comment.id, APPEAL_OUTCOMES[action].value),
                )
                for t in targets
            )
        )
