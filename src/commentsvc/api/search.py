"""Searching every comment of a site: the moderators' (or admins') route."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.params import QueryParameter

from commentsvc.api.deps import Caller, Conn, ModerationService, ReadingService
from commentsvc.api.errors import error_responses
from commentsvc.api.moderation import SITE
from commentsvc.api.security import requires_user
from commentsvc.domain import search
from commentsvc.domain.comments import MAX_ARTICLE_KEY
from commentsvc.domain.search import SearchPage

STATUS = Literal["pending", "approved", "rejected", "spam", "deleted"]
MOMENT = "A day (`2026-11-25`) or a time in ISO 8601 (`2026-11-25T20:30:00Z`; UTC when it names no offset)."


class CommentSearchController(Controller):
    path = "/api/v1/sites/{site:str}/moderation/comments"
    tags = ["moderation"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @get("", responses=error_responses(400, 401, 403, 404, 503))
    async def search(
        self,
        site: SITE,
        principal: Caller,
        conn: Conn,
        moderation: ModerationService,
        reading: ReadingService,
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                description="Words to find, in any case and with or without accents, as the site's "
                '`language` reads them: `"a phrase"`, `or`, `-word` (web search syntax).',
            ),
        ] = None,
        status: Annotated[STATUS | None, QueryParameter(description="Only comments in this status.")] = None,
        author: Annotated[
            str | None,
            QueryParameter(
                min_length=1, max_length=100, description="Only this author's: a user id or a username."
            ),
        ] = None,
        article: Annotated[
            str | None,
            QueryParameter(
                min_length=1, max_length=MAX_ARTICLE_KEY, description="Only this article's (its key)."
            ),
        ] = None,
        since: Annotated[
            str | None,
            QueryParameter(name="from", description=f"Written at or after this. {MOMENT}"),
        ] = None,
        until: Annotated[
            str | None,
            QueryParameter(name="to", description=f"Written before this (a day: up to its end). {MOMENT}"),
        ] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> SearchPage:
        """Every comment of the site, whatever its status, newest first: those matching the words
        (accent- and case-insensitive, in the site's language) and the filters, a page at a time."""
        found_in = await moderation.site_for(conn, site, principal.user_id)
        asked = search.Search(
            q=q,
            status=status,
            author=author,
            article=article,
            since=since,
            until=until,
            cursor=cursor,
            limit=limit,
        )
        return await search.find(reading, found_in, principal.user_id, asked)
