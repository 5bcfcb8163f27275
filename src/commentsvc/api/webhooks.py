"""A site's webhooks, for its owners and the service's admins: register one (its secret is shown
this once), list them with their last delivery, remove one."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import JSONBody, PathParameter

from commentsvc.api.deps import Caller, Conn, WebhooksService
from commentsvc.api.errors import error_responses
from commentsvc.api.moderation import SITE
from commentsvc.api.security import requires_user
from commentsvc.domain.webhooks.registry import EVENT_TYPES, MAX_URL
from commentsvc.model.events import SITE_TYPES
from commentsvc.model.webhooks import NewWebhook, Webhook

EVENT_TYPE = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[
        str, msgspec.Meta(min_length=1, max_length=MAX_URL, description="An absolute http(s) URL.")
    ]
    events: Annotated[
        list[EVENT_TYPE],
        msgspec.Meta(
            min_length=1,
            max_length=len(SITE_TYPES),
            description=f"The event types to send, of {EVENT_TYPES}.",
        ),
    ]


class WebhooksOut(msgspec.Struct):
    webhooks: list[Webhook]


class SiteWebhooksController(Controller):
    path = "/api/v1/sites/{site:str}/webhooks"
    tags = ["webhooks"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @post(responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def add(
        self, site: SITE, data: JSONBody[WebhookIn], principal: Caller, conn: Conn, webhooks: WebhooksService
    ) -> NewWebhook:
        """Register a webhook (the site's owners and admins). The `secret` signs every delivery and
        is shown only here: keep it."""
        return await webhooks.add(conn, site, data.url, data.events, principal.user_id)

    @get(responses=error_responses(400, 401, 403, 404, 503))
    async def listing(
        self, site: SITE, principal: Caller, conn: Conn, webhooks: WebhooksService
    ) -> WebhooksOut:
        """The site's webhooks, each with its latest delivery attempt (the site's owners and admins)."""
        return WebhooksOut(await webhooks.listing(conn, site, principal.user_id))

    @delete("/{id:int}", responses=error_responses(400, 401, 403, 404, 503))
    async def remove(
        self,
        site: SITE,
        id: Annotated[int, PathParameter(ge=1, le=2**62, description="The webhook's id.")],
        principal: Caller,
        conn: Conn,
        webhooks: WebhooksService,
    ) -> None:
        """Remove a webhook; its deliveries not yet made are dropped (the site's owners and admins)."""
        await webhooks.remove(conn, site, id, principal.user_id)
