"""Posting a comment, the hottest write: its request body, what the route does with it, and the
lane that serves a well-formed post without Litestar's parameter and response machinery."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from commentsvc.api.limits import client_address
from commentsvc.api.security import provide_principal
from commentsvc.domain.articles import MAX_TITLE, MAX_URL
from commentsvc.domain.comments import MAX_ARTICLE_KEY, NewComment, Posted
from commentsvc.domain.rendering import MAX_BODY_CHARS
from commentsvc.domain.sites import SLUG

IDEMPOTENCY_KEY_MAX = 255
# The header of an answer given again for an Idempotency-Key already used.
REPLAYED_HEADER = "Idempotent-Replayed"


class NewCommentIn(msgspec.Struct, forbid_unknown_fields=True):
    article: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ARTICLE_KEY)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY_CHARS)]
    article_title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)] | None = None
    article_url: Annotated[str, msgspec.Meta(max_length=MAX_URL)] | None = None
    parent_id: Annotated[int, msgspec.Meta(ge=1, le=2**62)] | None = None


async def post_as_caller(
    request: Request, site: str, data: NewCommentIn, idempotency_key: str | None
) -> Posted:
    """The post as the route handler and the lane both make it, for the signed-in caller."""
    state = request.app.state
    new = NewComment(data.article, data.body, data.article_title, data.article_url, data.parent_id)
    address = client_address(request, state.settings.trusted_proxies)
    principal = provide_principal(request)
    return await state.posting.post(site, principal.user_id, new, address, idempotency_key)


class PostingLane:
    """Route middleware of POST .../comments. Resolving the handler's parameters and rendering
    its response took a fifth of the service's CPU per post; this lane decodes the body into
    its Struct at once and sends the encoded comment. It runs the route's own ``before_request``
    (sign-in, rate limits), and its errors are raised as the handler's are. A request it would
    have to judge otherwise (a body not of the schema, a bad slug or Idempotency-Key, no
    Content-Length or too long a body) goes on to the route, whose validation answers it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route_handler = scope["route_handler"]
        length, key = _length_and_key(scope)
        if length is None or length > (route_handler.resolve_request_max_body_size() or 0):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        data = _decoded(body)
        site = scope["path_params"]["site"]
        if (
            data is None
            or not SLUG.match(site)
            or (key is not None and not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX)
        ):
            await self.app(scope, _replaying(body, receive), send)
            return
        request: Request = Request(scope, receive)
        if before_request := route_handler.resolve_before_request():
            await before_request(request)
        posted = await post_as_caller(request, site, data, key)
        encoded = msgspec.json.encode(posted.comment)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(encoded)).encode())]
        if posted.replayed:
            headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": encoded})


def _length_and_key(scope: Scope) -> tuple[int | None, str | None]:
    """The announced body length (None: not announced or not a number) and the Idempotency-Key."""
    length: int | None = None
    key: str | None = None
    for name, value in scope["headers"]:
        if name == b"content-length" and length is None:
            length = int(value) if value.isdigit() else None
        elif name == b"idempotency-key" and key is None:
            key = value.decode("latin-1")
    return length, key


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""  # the client left; the route finds the body missing
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _decoded(body: bytes) -> NewCommentIn | None:
    # Not strict: as Litestar converts a JSON body (a number sent as a string is taken).
    try:
        return msgspec.json.decode(body, type=NewCommentIn, strict=False)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body once more, for the route, then what the client sends next."""
    replayed = False

    async def replaying() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying
