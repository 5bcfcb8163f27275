"""Bulk decisions: up to 100 comments of a site approved, rejected or marked as spam at once,
each decided once and logged. The moderator role on the site (or admin)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody

from commentsvc.api.deps import BulkService, Caller, Conn
from commentsvc.api.errors import error_responses
from commentsvc.api.moderation import REASON, SITE
from commentsvc.api.security import requires_user
from commentsvc.domain.bulk import MAX_COMMENTS, BulkResult

COMMENT_IDS = Annotated[
    list[Annotated[int, msgspec.Meta(ge=1, le=2**62)]],
    msgspec.Meta(min_length=1, max_length=MAX_COMMENTS, description="1 to 100 comment ids of the site."),
]


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    comment_ids: COMMENT_IDS
    action: Literal["approve", "reject", "spam"]
    reason: REASON | None = None


class BulkOut(msgspec.Struct):
    results: Annotated[list[BulkResult], msgspec.Meta(description="One per id sent, in the order sent.")]


class BulkController(Controller):
    path = "/api/v1/sites/{site:str}/moderation"
    tags = ["moderation"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @post("/bulk", status_code=200, responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def bulk(
        self, site: SITE, data: JSONBody[BulkIn], principal: Caller, conn: Conn, bulk: BulkService
    ) -> BulkOut:
        """Decide up to 100 comments of the site at once, each once, each with its audit-log entry
        and event, in one transaction. `outcome` of each id: `applied` (decided now: a comment
        awaiting a decision has its item decided, as from the queue; another one changes status);
        `already_decided` (nothing done: it already has the status the action gives, or a moderator
        removed it, which only an appeal reverses); `edited` (nothing done: its author edited it
        since it was held; decide it from the queue, on the text shown); `deleted` (nothing done);
        `duplicate` (the id came earlier in the list); `not_found` (no comment of this site has it).
        `reason` is shown to the authors of the comments rejected or marked as spam."""
        results = await bulk.decide(conn, site, principal.user_id, data.comment_ids, data.action, data.reason)
        return BulkOut(results)
