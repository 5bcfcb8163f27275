"""An article's live updates, as Server-Sent Events (API.md, "Live updates")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Request, get
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import Stream

from commentsvc.api.comments import SITE
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import client_address, rate_limit
from commentsvc.api.scope import LIVE_STREAM
from commentsvc.domain.comments import MAX_ARTICLE_KEY
from commentsvc.domain.live.streams import Hub
from commentsvc.domain.live.streams import Stream as LiveStream
from commentsvc.model.live import Announcement, Published

# How long a reader's browser waits before reconnecting (SSE `retry:`, in milliseconds).
RETRY_MILLISECONDS = 3000
OPENED = b"retry: %d\n\n" % RETRY_MILLISECONDS
HEARTBEAT = b": heartbeat\n\n"
HEADERS = {
    "Cache-Control": "no-store",
    # A proxy that buffers (nginx does by default) would hold the announcements back.
    "X-Accel-Buffering": "no",
}


@get(
    "/api/v1/sites/{site:str}/live",
    tags=["comments"],
    before_request=rate_limit(address="read"),
    responses=error_responses(400, 404, 429, 503),
    media_type="text/event-stream",
)
async def live(
    request: Request,
    site: SITE,
    article: Annotated[
        str, QueryParameter(min_length=1, max_length=MAX_ARTICLE_KEY, description="The host site's key.")
    ],
    last_event_id: Annotated[
        int | None,
        HeaderParameter(
            name="Last-Event-ID",
            ge=0,
            le=2**62,
            description="The `id` of the last event received: the events since then (within a few minutes) come first.",
        ),
    ] = None,
) -> Stream:
    """Server-Sent Events of the article: `comment` (`{id, parent_id}`) when a comment becomes
    public, `count` (`{comment_count}`) when its public count moves; each event's `id` is where a
    reconnecting client resumes (`Last-Event-ID`). A comment line every 15 s keeps it open."""
    hub: Hub = request.app.state.live
    address = client_address(request, request.app.state.settings.trusted_proxies)
    stream = await hub.open(site, article, address, last_event_id)
    # The server ends it at once when it shuts down, as if its reader had gone (protocol.py).
    request.scope[LIVE_STREAM] = True  # type: ignore[literal-required]
    return Stream(_events(stream), media_type="text/event-stream", headers=HEADERS)


async def _events(stream: LiveStream) -> AsyncIterator[bytes]:
    yield OPENED
    async for announcement in stream.announcements():
        yield HEARTBEAT if announcement is None else _event(announcement, stream.last_id)


def _event(announcement: Announcement, last_id: int) -> bytes:
    """The announcement's events, with the highest id sent so far: an id below it (a change that
    committed after a later one) must not make a reconnecting reader hear the later one again."""
    events = []
    if announcement.comment is not None:
        events.append(_message("comment", last_id, _published(announcement.comment)))
    if announcement.count is not None:
        events.append(_message("count", last_id, b'{"comment_count":%d}' % announcement.count))
    return b"".join(events)


def _published(comment: Published) -> bytes:
    parent = b"null" if comment.parent_id is None else b"%d" % comment.parent_id
    return b'{"id":%d,"parent_id":%s}' % (comment.id, parent)


def _message(event: str, event_id: int, data: bytes) -> bytes:
    return b"event: %s\nid: %d\ndata: %s\n\n" % (event.encode(), event_id, data)


HANDLERS = [live]
