"""Pinning a comment first in its thread: the moderator role on its site (or admin)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, put
from litestar.params import JSONBody, PathParameter

from commentsvc.api.deps import Caller, Conn, PinsService
from commentsvc.api.errors import error_responses
from commentsvc.api.security import requires_user
from commentsvc.domain.threads import Comment


class PinIn(msgspec.Struct, forbid_unknown_fields=True):
    pinned: bool


class PinController(Controller):
    path = "/api/v1/comments/{id:int}"
    tags = ["moderation"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @put("/pin", responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422, 503))
    async def pin(
        self,
        id: Annotated[int, PathParameter(ge=1, le=2**62, description="The comment's id.")],
        data: JSONBody[PinIn],
        principal: Caller,
        conn: Conn,
        pins: PinsService,
    ) -> Comment:
        """Pin a published top-level comment first in every sort of its thread (`pinned: true`), or
        unpin it. A reply: 422; a comment not published: 409. Pinning a pinned comment again
        changes nothing."""
        return await pins.pin(conn, id, principal.user_id, data.pinned)
