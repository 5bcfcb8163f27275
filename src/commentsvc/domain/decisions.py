"""What a moderator's decision does to the comments it is about: the status it gives them, the
reason their authors are shown, and for each comment its event and its audit-log entry. One
decision (a queue item) and a bulk decision go through here alike, on comments their transaction
has locked."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from commentsvc.domain.events import Change
from commentsvc.model.events import EventType, comment_event
from commentsvc.model.moderation import Decidable, NewAuditEntry
from commentsvc.store import comments, moderation

# What each decision does to the comment's status (None: leaves it as it is).
NEW_STATUS = {"approve": "approved", "reject": "rejected", "spam": "spam", "keep": None}
# The event of each decision (a comment kept as it was changed nothing: none).
DECIDED = {
    "approve": EventType.COMMENT_APPROVED,
    "reject": EventType.COMMENT_REJECTED,
    "spam": EventType.COMMENT_REJECTED,
}
# A removal's reason is the author's to read (the widget shows it beside the removed comment).
REMOVALS = ("reject", "spam")


async def apply(
    conn: asyncpg.Connection,
    change: Change,
    moderator_id: int,
    action: str,
    reason: str | None,
    targets: Sequence[Decidable],
) -> None:
    """Apply the decision to each comment (locked by the caller, each once), a statement for all
    of them at each step: 100 comments cost what one does, nearly."""
    new_status = NEW_STATUS[action]
    moved: set[int] = set()
    if new_status is not None:
        moving = [(t.id, t.status) for t in targets if t.status not in (new_status, "deleted")]
        # Guarded all the same: of two racing decisions only one changes it (the counts follow, in
        # the database).
        moved = set(await comments.change_statuses(conn, moving, new_status)) if moving else set()
    if action in DECIDED:
        await change.record(
            *(
                comment_event(
                    DECIDED[action],
                    t.site_id,
                    t.article_id,
                    t.id,
                    t.parent_id,
                    new_status if t.id in moved else t.status,  # type: ignore[arg-type]
                    t.status,
                )
                for t in targets
            )
        )
    if action in REMOVALS:
        await comments.set_moderation_reasons(conn, [t.id for t in targets], reason)
    await moderation.record_all(
        conn,
        [
            NewAuditEntry(
                site_id=t.site_id,
                actor_id=moderator_id,
                action=action,
                comment_id=t.id,
                target_user_id=t.author_id,
                article_key=t.article_key,
                reason=reason,
            )
            for t in targets
        ],
    )
