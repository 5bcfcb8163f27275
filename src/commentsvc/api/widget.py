"""What host pages load from the service: the loader, the count script, the
iframe document and its assets (immutable, named by content hash, gzipped once)."""

from __future__ import annotations

import gzip
import hashlib
import html
from functools import cache
from importlib import resources
from typing import Annotated

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter

from commentsvc.api.compression import accepts_gzip
from commentsvc.domain.articles import MAX_TITLE, MAX_URL
from commentsvc.domain.comments import MAX_ARTICLE_KEY, check_article_key
from commentsvc.domain.rendering import check_text
from commentsvc.domain.sites import SLUG, OriginDirectory, normalise_origin
from commentsvc.errors import Invalid, NotFound

# Litestar adds "; charset=utf-8" to text types itself.
MEDIA_TYPES = {"js": "text/javascript", "css": "text/css"}
IMMUTABLE = "public, max-age=31536000, immutable"
# The loader's own URL never changes, so it is cached briefly; what it loads is immutable.
LOADER_CACHE = "public, max-age=600"
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors {origins}"
)
EMBED_DOCUMENT = """<!doctype html>
<html lang="{lang}"{theme}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/widget/{css}"><script src="/widget/{messages}" defer></script><script src="/widget/{js}" defer></script></head>
<body><div id="app" data-site="{site}" data-article="{article}" data-title="{article_title}" data-url="{url}" data-id="{id}" data-origin="{origin}" data-lang="{lang}"></div></body></html>
"""


class Asset:
    def __init__(self, name: str) -> None:
        self.raw = resources.files("commentsvc").joinpath("widget", name).read_bytes()
        self.gzipped = gzip.compress(self.raw, 9, mtime=0)
        stem, extension = name.rsplit(".", 1)
        self.media_type = MEDIA_TYPES[extension]
        self.hashed_name = f"{stem}.{hashlib.sha256(self.raw).hexdigest()[:12]}.{extension}"

    def response(self, request: Request, cache_control: str) -> Response[bytes]:
        headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.raw, media_type=self.media_type, headers=headers)


@cache
def asset(name: str) -> Asset:
    return Asset(name)


@cache
def hashed_assets() -> dict[str, Asset]:
    return {a.hashed_name: a for a in (asset("messages.js"), asset("widget.js"), asset("widget.css"))}


@get("/embed.js", include_in_schema=False)
async def loader(request: Request) -> Response[bytes]:
    return asset("embed.js").response(request, LOADER_CACHE)


@get("/count.js", include_in_schema=False)
async def count_script(request: Request) -> Response[bytes]:
    return asset("count.js").response(request, LOADER_CACHE)


@get("/widget/{name:str}", include_in_schema=False)
async def widget_asset(
    request: Request, name: Annotated[str, PathParameter(max_length=100)]
) -> Response[bytes]:
    found = hashed_assets().get(name)
    if found is None:
        raise NotFoundException("No such asset.")
    return found.response(request, IMMUTABLE)


@get("/embed", include_in_schema=False)
async def embed_document(
    request: Request,
    site: Annotated[str, QueryParameter(pattern=SLUG.pattern)],
    article: Annotated[str, QueryParameter(min_length=1, max_length=MAX_ARTICLE_KEY)],
    origin: Annotated[str, QueryParameter(max_length=300)],
    id: Annotated[int, QueryParameter(ge=0, le=1000)] = 0,
    title: Annotated[str, QueryParameter(max_length=MAX_TITLE)] = "",
    url: Annotated[str, QueryParameter(max_length=MAX_URL)] = "",
    lang: Annotated[str, QueryParameter(pattern=r"^[a-z]{2}$")] = "fr",
    theme: Annotated[str, QueryParameter(pattern=r"^(|light|dark)$")] = "",
) -> Response[str]:
    """The widget's document, framed only by the site's own origins."""
    check_article_key(article)
    check_text(title, "title")
    state = request.app.state
    directory: OriginDirectory = state.origins
    origins = await directory.origins(state.pool, site)
    if not origins:
        raise NotFound(f"There is no site named {site!r}.")
    if origin not in origins:
        raise Invalid("origin: this page is not on one of the site's registered origins.", field="origin")
    page = EMBED_DOCUMENT.format(
        lang="en" if lang == "en" else "fr",
        theme=f' data-theme="{theme}"' if theme else "",
        title="Comments" if lang == "en" else "Commentaires",
        css=asset("widget.css").hashed_name,
        messages=asset("messages.js").hashed_name,
        js=asset("widget.js").hashed_name,
        site=html.escape(site),
        article=html.escape(article),
        article_title=html.escape(title),
        # A canonical URL elsewhere (another domain) is not the site's: the article is stored without it.
        url=html.escape(url if _origin_of(url) in origins else ""),
        id=id,
        origin=html.escape(origin),
    )
    headers = {
        "Content-Security-Policy": EMBED_CSP.format(origins=" ".join(sorted(origins))),
        "Cache-Control": "no-cache",
    }
    return Response(page, media_type="text/html", headers=headers)


def _origin_of(url: str) -> str | None:
    try:
        return normalise_origin(url)
    except Invalid:
        return None


HANDLERS = [loader, count_script, widget_asset, embed_document]
