"""An author's record on a site, for its moderators (or an admin)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter

from commentsvc.api.deps import AuthorRecordsService, Caller, Conn
from commentsvc.api.errors import error_responses
from commentsvc.api.moderation import SITE
from commentsvc.api.security import requires_user
from commentsvc.domain.author_records import AuthorRecord


class AuthorRecordController(Controller):
    path = "/api/v1/sites/{site:str}/moderation/users"
    tags = ["moderation"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @get("/{user_id:int}", responses=error_responses(400, 401, 403, 404, 503))
    async def record(
        self,
        site: SITE,
        user_id: Annotated[int, PathParameter(ge=1, le=2**62, description="The author's user id.")],
        principal: Caller,
        conn: Conn,
        records: AuthorRecordsService,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="How many recent comments.")] = 50,
    ) -> AuthorRecord:
        """The author's account, standing on the site (trusted or not), the ban in force and every
        ban and unban there, and their latest comments on the site (any status, newest first, each
        with its article). An account that never wrote on the site has an empty record."""
        return await records.record(conn, site, principal.user_id, user_id, limit)
