"""Moderation: the queue, decisions, the audit log, bans, article locks, titles and URLs.
Every route needs the moderator role on the site (or admin)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from commentsvc.api.deps import Caller, Conn, ModerationService
from commentsvc.api.errors import error_responses
from commentsvc.api.security import requires_user
from commentsvc.domain.articles import MAX_TITLE, MAX_URL, Described
from commentsvc.domain.comments import MAX_ARTICLE_KEY
from commentsvc.domain.moderation_views import AuditPage, Item
from commentsvc.domain.sites import SLUG

SITE = Annotated[str, PathParameter(pattern=SLUG.pattern, description="The site's slug.")]
REASON = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
DAYS = Annotated[int, msgspec.Meta(ge=0, le=36500)]


class QueueOut(msgspec.Struct):
    items: list[Item]


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal["approve", "reject", "spam", "keep"]
    reason: REASON | None = None
    ban_days: DAYS | None = None
    # The item's `revision` the moderator was shown; without it, the one the item was opened at.
    revision: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None


class BanIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[int, msgspec.Meta(ge=1, le=2**62)]
    reason: REASON
    days: DAYS | None = None


class LockIn(msgspec.Struct, forbid_unknown_fields=True):
    article: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ARTICLE_KEY)]
    locked: bool


class LockOut(msgspec.Struct):
    article: str
    locked: bool


class DescriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    article: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ARTICLE_KEY)]
    article_title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)] | None = None
    article_url: Annotated[str, msgspec.Meta(max_length=MAX_URL)] | None = None


class SiteModerationController(Controller):
    path = "/api/v1/sites/{site:str}"
    tags = ["moderation"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @get("/moderation/queue", responses=error_responses(400, 401, 403, 404, 503))
    async def queue(
        self,
        site: SITE,
        principal: Caller,
        conn: Conn,
        moderation: ModerationService,
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 20,
    ) -> QueueOut:
        """Items awaiting a decision, claimed for the caller for 5 minutes."""
        return QueueOut(await moderation.claim(conn, site, principal.user_id, limit))

    @get("/moderation/log", responses=error_responses(400, 401, 403, 404, 503))
    async def log(
        self,
        site: SITE,
        principal: Caller,
        conn: Conn,
        moderation: ModerationService,
        cursor: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> AuditPage:
        """Every decision, ban, unban, lock and moderator deletion, newest first."""
        return await moderation.log(conn, site, principal.user_id, cursor, limit)

    @post("/bans", responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def ban(
        self, site: SITE, data: JSONBody[BanIn], principal: Caller, conn: Conn, moderation: ModerationService
    ) -> None:
        """Ban a reader from the site: they can still sign in and read. No `days`: permanent."""
        await moderation.ban(conn, site, principal.user_id, data.user_id, data.days, data.reason)

    @delete("/bans/{user_id:int}", responses=error_responses(400, 401, 403, 404, 503))
    async def unban(
        self,
        site: SITE,
        user_id: Annotated[int, PathParameter(ge=1, le=2**62)],
        principal: Caller,
        conn: Conn,
        moderation: ModerationService,
    ) -> None:
        """Lift a ban."""
        await moderation.unban(conn, site, principal.user_id, user_id)

    @put("/articles/lock", responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def lock(
        self, site: SITE, data: JSONBody[LockIn], principal: Caller, conn: Conn, moderation: ModerationService
    ) -> LockOut:
        """Close (or reopen) an article to new comments."""
        locked = await moderation.lock(conn, site, principal.user_id, data.article, data.locked)
        return LockOut(data.article, locked)

    @put("/articles", responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def describe(
        self,
        site: SITE,
        data: JSONBody[DescriptionIn],
        principal: Caller,
        conn: Conn,
        moderation: ModerationService,
    ) -> Described:
        """Set the title and URL (on one of the site's origins) that everyone sees for an article:
        a reader's comment never sets them, a moderator's first comment on an article does."""
        return await moderation.describe(
            conn, site, principal.user_id, data.article, data.article_title, data.article_url
        )


class DecisionController(Controller):
    path = "/api/v1/moderation/items/{item_id:int}"
    tags = ["moderation"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @post("/decision", status_code=200, responses=error_responses(400, 401, 403, 404, 409, 413, 415, 503))
    async def decide(
        self,
        item_id: Annotated[int, PathParameter(ge=1, le=2**62)],
        data: JSONBody[DecisionIn],
        principal: Caller,
        conn: Conn,
        moderation: ModerationService,
    ) -> Item:
        """Decide an item, once: deciding it again returns the first decision. A decision is for the
        comment's `revision` the item showed: 409 when its author has edited it since."""
        return await moderation.decide(
            conn, item_id, principal.user_id, data.action, data.reason, data.ban_days, data.revision
        )
