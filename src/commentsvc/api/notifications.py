"""Notification e-mails: the signed-in reader's choice of them, and the one-click unsubscribe
link every one of them carries (RFC 8058): a page with one button on GET (a GET changes nothing:
mail scanners follow links), the unsubscribing on POST, as mail clients send it."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Response, get, post, put
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.params import JSONBody, Parameter

from commentsvc.api.deps import Caller, Conn
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import rate_limit
from commentsvc.api.pages import TOKEN_PAGE_HEADERS
from commentsvc.api.security import FORM_BODY, requires_token
from commentsvc.domain import notifications
from commentsvc.domain.letters.texts import say
from commentsvc.domain.notifications import Unsubscribing
from commentsvc.model.notifications import AlertsChoice, NotificationSettings

ONE_CLICK_FIELD = "List-Unsubscribe"
TOKEN = Annotated[
    str, Parameter(description="The token of the e-mail's link.", min_length=1, max_length=2048)
]
# A document with no script and no style that posts its one form to the service itself; the token
# in its URL goes nowhere else (no referrer), and it is neither framed nor kept.
PAGE_HEADERS = {
    **TOKEN_PAGE_HEADERS,
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}


class NotificationsBody(msgspec.Struct, forbid_unknown_fields=True):
    replies: bool
    moderation: AlertsChoice


class NotificationsController(Controller):
    path = "/api/v1/me/notifications"
    tags = ["accounts"]
    # Each handler reads the account and answers 401 when it was erased.
    guards = [requires_token]
    before_request = rate_limit(address="account")
    security = [{"bearer": []}]

    @get("", responses=error_responses(401, 429, 503))
    async def notifications(self, principal: Caller, conn: Conn) -> NotificationsBody:
        """Which notification e-mails the reader gets."""
        return _body(await notifications.settings_of(conn, principal.user_id))

    @put("", responses=error_responses(400, 401, 413, 415, 429, 503))
    async def choose_notifications(
        self, principal: Caller, conn: Conn, data: JSONBody[NotificationsBody]
    ) -> NotificationsBody:
        """Choose them: `replies`, an e-mail when a published reply answers one of the reader's
        comments (several close together make one); `moderation`, alerts of the queues of the
        sites the reader moderates."""
        chosen = NotificationSettings(data.replies, data.moderation)
        return _body(await notifications.choose(conn, principal.user_id, chosen))


def _body(settings: NotificationSettings) -> NotificationsBody:
    return NotificationsBody(settings.replies, settings.moderation)


@dataclass
class OneClickOperation(Operation):
    """What mail clients send (RFC 8058), which the handler need not read: the token says all."""

    def __post_init__(self) -> None:
        form = Schema(
            type="object",  # type: ignore[arg-type]
            properties={ONE_CLICK_FIELD: Schema(type="string", const="One-Click")},  # type: ignore[arg-type]
        )
        self.request_body = RequestBody(
            content={RequestEncodingType.URL_ENCODED.value: OpenAPIMediaType(schema=form)}, required=False
        )


@get("/unsubscribe", media_type=MediaType.HTML, include_in_schema=False)
async def unsubscribe_page(token: TOKEN, conn: Conn, state: State) -> Response[str]:
    asked = await notifications.unsubscribing_from(conn, state.links, token)
    button = say(asked.language, "unsubscribe_link")
    form = (
        f'<form method="post" action="{html.escape(state.links.url("/unsubscribe", token=token))}">'
        f'<input type="hidden" name="{ONE_CLICK_FIELD}" value="One-Click">'
        f'<button type="submit">{html.escape(button)}</button></form>'
    )
    return _page(asked, f"unsubscribe_ask.{asked.kind}", form)


@post(
    "/unsubscribe",
    status_code=200,
    media_type=MediaType.HTML,
    tags=["accounts"],
    opt={FORM_BODY: True},
    operation_class=OneClickOperation,
    responses=error_responses(400, 413, 415, 503),
)
async def unsubscribe(token: TOKEN, conn: Conn, state: State) -> Response[str]:
    """Stop the kind of notification e-mail the link came in (one click: no sign-in, the body
    `List-Unsubscribe=One-Click` or none). The link keeps working, with no expiry."""
    done = await notifications.unsubscribe(conn, state.links, token)
    return _page(done, f"unsubscribed.{done.kind}")


def _page(about: Unsubscribing, sentence: str, form: str = "") -> Response[str]:
    title = html.escape(say(about.language, "unsubscribe_link"))
    document = (
        f'<!DOCTYPE html><html lang="{about.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1><p>{html.escape(say(about.language, sentence))}</p>{form}</main></body></html>"
    )
    return Response(document, media_type=MediaType.HTML, headers=PAGE_HEADERS)


HANDLERS = [NotificationsController, unsubscribe_page, unsubscribe]
