"""What crawlers, readers without JavaScript and feed readers get: a thread's first page as an HTML
fragment for the host page to include, and Atom feeds of the latest comments. Shared by everyone
and revalidated with an ETag (304 when it has not changed)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Annotated

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter, QueryParameter

from commentsvc.api.compression import kept_beside, page_response
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import rate_limit
from commentsvc.domain.comments import MAX_ARTICLE_KEY
from commentsvc.domain.sites import SLUG

SITE = Annotated[str, PathParameter(pattern=SLUG.pattern, description="The site's slug.")]
ARTICLE = Annotated[
    str, QueryParameter(min_length=1, max_length=MAX_ARTICLE_KEY, description="The host site's key.")
]
# Litestar's path parameters are whole segments: the site feed's segment is the slug and ".atom".
FEED_NAME = Annotated[
    str,
    PathParameter(
        pattern=SLUG.pattern.removesuffix("$") + r"\.atom$", description="The site's slug, then .atom."
    ),
]
FEED_SUFFIX = ".atom"
HTML = "text/html"
ATOM = "application/atom+xml"
# Crawlers and host builds may keep a fragment a minute; past that they revalidate (a 304 is cheap).
FRAGMENT_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"
FEED_CACHE_CONTROL = "public, max-age=300"


_etags: OrderedDict[bytes, str] = OrderedDict()


def conditional(request: Request, page: bytes, media_type: str, cache_control: str) -> Response:
    """The page, or 304 when the client has it: a weak ETag, as the bytes sent may be gzipped.
    The page comes from the cache as the same bytes on every hit: its tag is made once."""
    etag = kept_beside(_etags, page, _etag)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    known = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if etag.removeprefix("W/") in known or "*" in known:
        return Response(b"", status_code=304, headers={**headers, "Vary": "Accept-Encoding"})
    return page_response(request, page, shared=True, headers=headers, media_type=media_type)


def _etag(page: bytes) -> str:
    return f'W/"{hashlib.blake2b(page, digest_size=12).hexdigest()}"'


def shared_page(path: str, media_type: str) -> HTTPRouteHandler:
    """The route decorator of a page shared by everyone, limited as reads are."""
    return get(
        path,
        tags=["comments"],
        before_request=rate_limit(address="read"),
        responses=error_responses(400, 404, 429, 503),
        media_type=media_type,
    )


@shared_page("/api/v1/sites/{site:str}/comments.html", HTML)
async def fragment(request: Request, site: SITE, article: ARTICLE) -> Response[bytes]:
    """The thread's first page (as the widget first shows it) as an HTML fragment with schema.org
    `Comment` microdata, for the host page to put inside its `[data-commentsvc]` element; empty for
    an article nobody has commented on."""
    page = await request.app.state.fragments.first_page_html(site, article)
    return conditional(request, page, HTML, FRAGMENT_CACHE_CONTROL)


@shared_page("/feeds/{feed:str}", ATOM)
async def site_feed(request: Request, feed: FEED_NAME) -> Response[bytes]:
    """`/feeds/{site}.atom`: the site's latest published comments, as Atom."""
    page = await request.app.state.feeds.of_site(feed.removesuffix(FEED_SUFFIX))
    return conditional(request, page, ATOM, FEED_CACHE_CONTROL)


@shared_page("/feeds/{site:str}/article.atom", ATOM)
async def article_feed(request: Request, site: SITE, article: ARTICLE) -> Response[bytes]:
    """An article's latest published comments, as Atom (without entries for an article nobody has
    commented on)."""
    page = await request.app.state.feeds.of_article(site, article)
    return conditional(request, page, ATOM, FEED_CACHE_CONTROL)


HANDLERS = [fragment, site_feed, article_feed]
