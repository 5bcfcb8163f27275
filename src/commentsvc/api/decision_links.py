"""Deciding from an e-mail's link: what the link is about, and the decision its page's button
sends. No sign-in: the link's signed token names the moderator and the item."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from commentsvc.api.deps import Conn
from commentsvc.api.errors import error_responses
from commentsvc.domain.decision_links import DecisionLinks, LinkAction, Linked

TOKEN_MAX = 2000
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=TOKEN_MAX)]
DecisionLinksService = NamedDependency[DecisionLinks]


class LinkDecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Token
    action: LinkAction


def provide_decision_links(state: State) -> DecisionLinks:
    return state.decision_links


class DecisionLinkController(Controller):
    path = "/api/v1/moderation/decisions/by-link"
    tags = ["moderation"]
    dependencies = {"decision_links": Provide(provide_decision_links, sync_to_thread=False)}
    # What it shows is a held comment, and the URL carries the token: kept by no cache.
    cache_control = CacheControlHeader(no_store=True)

    @get(responses=error_responses(400, 403, 404, 503))
    async def show(
        self,
        conn: Conn,
        decision_links: DecisionLinksService,
        token: Annotated[str, QueryParameter(min_length=1, max_length=TOKEN_MAX)],
    ) -> Linked:
        """What an e-mailed decision link is about: the item as its moderator sees it (with the
        decision, and who made it, once made). Decides nothing: mail scanners follow links. 400
        `bad_link` for a token altered or older than 7 days; 403 once its moderator no longer
        moderates the site."""
        return await decision_links.show(conn, token)

    @post(status_code=200, responses=error_responses(400, 403, 404, 409, 413, 415, 503))
    async def decide(
        self, data: JSONBody[LinkDecisionIn], conn: Conn, decision_links: DecisionLinksService
    ) -> Linked:
        """Approve or reject the link's item as its moderator, through the dashboard's path:
        once (a decision already made, from the dashboard or an earlier click, is returned as
        it was), in the audit log; 409 when the comment was edited after the e-mail showed it."""
        return await decision_links.decide(conn, data.token, data.action)
