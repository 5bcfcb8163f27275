"""The pages the service serves itself: the moderators' dashboard and its assets."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Literal

from litestar import Response, get
from litestar.params import PathParameter

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
MEDIA_TYPES = {
    "html": "text/html",
    "js": "text/javascript",
    "css": "text/css",
}


@cache
def _asset(name: str) -> bytes:
    return resources.files("commentsvc").joinpath("moderate", name).read_bytes()


def _serve(name: str) -> Response[bytes]:
    return Response(_asset(name), media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]], headers=PAGE_HEADERS)


@get("/moderate", include_in_schema=False)
async def dashboard() -> Response[bytes]:
    return _serve("moderate.html")


@get("/moderate/{name:str}", include_in_schema=False)
async def dashboard_asset(
    name: Annotated[Literal["moderate.js", "moderate.css"], PathParameter()],
) -> Response[bytes]:
    return _serve(name)


HANDLERS = [dashboard, dashboard_asset]
