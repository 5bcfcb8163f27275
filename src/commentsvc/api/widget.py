"""What host pages load from the service: the loader, the count script, the
iframe document and its assets (immutable, named by content hash, gzipped once),
or, when the embed is refused, a one-line page saying why."""

from __future__ import annotations

import html
import json
from typing import Annotated

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter

from commentsvc.api.assets import asset, hashed_assets, words
from commentsvc.domain.articles import MAX_TITLE, MAX_URL
from commentsvc.domain.comments import MAX_ARTICLE_KEY, check_article_key
from commentsvc.domain.rendering import check_text
from commentsvc.domain.sites import SLUG, OriginDirectory, get_site, normalise_origin
from commentsvc.errors import Invalid
from commentsvc.i18n import DEFAULT_LANGUAGE, catalogue, direction, nearest

IMMUTABLE = "public, max-age=31536000, immutable"
# The loader's own URL never changes, so it is cached briefly; what it loads is immutable.
LOADER_CACHE = "public, max-age=600"
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors {origin}"
)
# The widget's documents share their head: its styles, its words (one language's), and one script.
DOCUMENT = """<!doctype html>
<html lang="{lang}" dir="{dir}"{theme}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/widget/{css}"><script src="/widget/{messages}" defer></script><script src="/widget/{js}" defer></script></head>
<body>{body}</body></html>
"""
# data-forms names the forms' script and words, which the widget fetches when a reader first needs
# a form: a first view is the thread's alone.
EMBED_BODY = (
    '<div id="app" data-site="{site}" data-article="{article}" data-title="{article_title}" data-url="{url}" '
    'data-id="{id}" data-origin="{origin}" data-lang="{lang}" data-providers="{providers}" data-forms="{forms}"{sso}>'
    "</div>"
)
# A host site's sign-in: the widget takes its reader from the host, and sends "sign in" and "sign
# out" to the host's own pages.
SSO_ATTRIBUTES = ' data-sso="1" data-login="{login}" data-logout="{logout}"'
# A refused embed says why inside the frame, which any page may show: it holds one sentence,
# naming only the slug and the asking page's own origin (never the site's other origins).
REFUSED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors * file:"
)
REFUSED_BODY = (
    '<p id="refused" role="alert" data-reason="{reason}" data-site="{site}" data-origin="{origin}" '
    'data-id="{id}" data-lang="{lang}"></p>'
)
# What a page opened from a file gives as its origin (location.origin: Chromium's, others').
NO_ORIGIN = frozenset({"file://", "null"})
# The reader's languages, most wanted first ("de-CH,de,en"): the element's data-lang, the page's
# lang, the browser's; the first the service speaks wins, else the site's language.
LANGUAGE_TAGS = r"^[A-Za-z0-9_,-]*$"


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
    lang: Annotated[str, QueryParameter(max_length=200, pattern=LANGUAGE_TAGS)] = "",
    theme: Annotated[str, QueryParameter(pattern=r"^(|light|dark)$")] = "",
    sso: Annotated[str, QueryParameter(pattern=r"^(|1)$")] = "",
    login: Annotated[str, QueryParameter(max_length=MAX_URL)] = "",
    logout: Annotated[str, QueryParameter(max_length=MAX_URL)] = "",
) -> Response[str]:
    """The widget's document, framed only by the page that asked for it, on one of the site's
    origins; for an unknown site or another origin, a page saying so (see ``_refused``)."""
    check_article_key(article)
    check_text(title, "title")
    if origin not in NO_ORIGIN and normalise_origin(origin) != origin:
        raise Invalid("origin: not an origin as browsers send it (scheme://host[:port]).", field="origin")
    state = request.app.state
    directory: OriginDirectory = state.origins
    origins = await directory.origins(state.pool, site)
    lang = nearest(lang.split(","), fallback="")
    if not origins or origin not in origins:
        return _refused(site, origin, lang or DEFAULT_LANGUAGE, theme, id, known=bool(origins))
    if not lang:  # the service speaks none of the reader's languages: the site's, then
        async with state.pool.acquire() as conn:
            lang = (await get_site(conn, site)).settings.language
    body = EMBED_BODY.format(
        lang=lang,
        site=html.escape(site),
        article=html.escape(article),
        article_title=html.escape(title),
        # A canonical URL elsewhere (another domain) is not the site's: the article is stored without it.
        url=html.escape(url if _origin_of(url) in origins else ""),
        id=id,
        origin=html.escape(origin),
        # The host's pages only: the frame never sends a reader elsewhere (nor to a javascript: URL).
        sso=SSO_ATTRIBUTES.format(
            login=html.escape(login if _origin_of(login) == origin else ""),
            logout=html.escape(logout if _origin_of(logout) == origin else ""),
        )
        if sso
        else "",
        # The identity providers readers may sign in with: [[name, label], ...].
        providers=html.escape(json.dumps([[p.name, p.label] for p in state.sign_in.providers.values()])),
        forms=" ".join(f"/widget/{part.hashed_name}" for part in (asset("forms.js"), words(lang, "forms"))),
    )
    # Only the asking page's origin: the list of the site's origins is nobody else's business.
    headers = {"Content-Security-Policy": EMBED_CSP.format(origin=origin), "Cache-Control": "no-cache"}
    return Response(_document("widget.js", lang, theme, body), media_type="text/html", headers=headers)


def _refused(site: str, origin: str, lang: str, theme: str, id: int, *, known: bool) -> Response[str]:
    """Instead of the browser's grey "refused to connect" box: the frame says in one line (and
    the loader repeats in the host page's console) which slug and origin to register."""
    reason = "local" if origin in NO_ORIGIN else "origin" if known else "site"
    body = REFUSED_BODY.format(
        lang=lang, reason=reason, site=html.escape(site), origin=html.escape(origin), id=id
    )
    headers = {"Content-Security-Policy": REFUSED_CSP, "Cache-Control": "no-cache"}
    return Response(
        _document("refused.js", lang, theme, body),
        status_code=403 if known else 404,
        media_type="text/html",
        headers=headers,
    )


def _document(script: str, lang: str, theme: str, body: str) -> str:
    return DOCUMENT.format(
        lang=lang,
        dir=direction(lang),
        theme=f' data-theme="{theme}"' if theme else "",
        title=catalogue("widget", lang)["title"],
        css=asset("widget.css").hashed_name,
        messages=words(lang, script.split(".")[0]).hashed_name,
        js=asset(script).hashed_name,
        body=body,
    )


def _origin_of(url: str) -> str | None:
    try:
        return normalise_origin(url)
    except Invalid:
        return None


HANDLERS = [loader, count_script, widget_asset, embed_document]
