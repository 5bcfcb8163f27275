"""The pages the service serves itself: the moderators' dashboard, the page an e-mailed decision
link opens, and their assets: scripts, styles, and one catalogue per language (fetched by the
page's words.js for the language it speaks)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from litestar import Response, get
from litestar.params import PathParameter

from commentsvc.i18n import LANGUAGES, RIGHT_TO_LEFT, catalogue

# No inline script or style, nothing from elsewhere, never framed.
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": DASHBOARD_CSP,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
# A page whose URL carries a token (an e-mailed link's, a sign-in's): never stored, and never sent
# on as a referrer. The decision, account and sign-in pages.
TOKEN_PAGE_HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}
MEDIA_TYPES = {
    "html": "text/html",
    "js": "text/javascript",
    "css": "text/css",
    "json": "application/json",
}
# The pages' scripts and styles, and each language's catalogue (what words.js fetches).
FILES = (
    "moderate.js",
    "moderate.css",
    "decide.js",
    "words.js",
    "settings.js",
    "appeals.js",
    "imports.js",
    "search.js",
    "bulk.js",
    "pins.js",
    "author.js",
)
CATALOGUES = {f"words-{language}.json": language for language in LANGUAGES}
AssetName = Literal[(*FILES, *CATALOGUES)]


@cache
def _asset(name: str) -> bytes:
    if name in CATALOGUES:
        return json.dumps(catalogue("dashboard", CATALOGUES[name]), ensure_ascii=False).encode()
    source = resources.files("commentsvc").joinpath("moderate", name).read_bytes()
    if not name.endswith(".html"):
        return source
    # The languages the pages' words.js may fetch, and those written right to left.
    return source.replace(b"{languages}", " ".join(LANGUAGES).encode()).replace(
        b"{right_to_left}", " ".join(sorted(RIGHT_TO_LEFT)).encode()
    )


def _serve(name: str, headers: dict[str, str] = PAGE_HEADERS) -> Response[bytes]:
    return Response(_asset(name), media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]], headers=headers)


@get("/moderate", include_in_schema=False)
async def dashboard() -> Response[bytes]:
    return _serve("moderate.html")


@get("/moderate/decide", include_in_schema=False)
async def decision_page() -> Response[bytes]:
    """Shows the item of the link's token (read by its script from the API) and decides only when
    a button is pressed."""
    return _serve("decide.html", TOKEN_PAGE_HEADERS)


@get("/moderate/{name:str}", include_in_schema=False)
async def dashboard_asset(
    name: Annotated[
        AssetName,
        PathParameter(),
    ],
) -> Response[bytes]:
    return _serve(name)


HANDLERS = [dashboard, decision_page, dashboard_asset]
