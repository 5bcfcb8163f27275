"""The demo host pages, wired to this instance and the demo site."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from litestar import MediaType, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect

from commentsvc.domain.sites import DEMO_SITE


@cache
def _page(name: str) -> str:
    return resources.files("commentsvc").joinpath("demo", name).read_text(encoding="utf-8")


@get("/demo", include_in_schema=False, status_code=302)
async def demo_index() -> Redirect:
    return Redirect("/demo/article.html")


# A host page like a careful site's: scripts and frames only from the service, inline styles only.
DEMO_CSP = (
    "default-src 'self'; script-src 'self' {origin}; frame-src 'self' {origin}; connect-src 'self' {origin}; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@get("/demo/{page:str}", media_type=MediaType.HTML, include_in_schema=False)
async def demo_page(
    request: Request, page: FromPath[Literal["article.html", "listing.html"]]
) -> Response[str]:
    origin = request.app.state.settings.public_url
    return Response(
        _page(page).replace("{{SERVICE_ORIGIN}}", origin).replace("{{SITE_ID}}", DEMO_SITE),
        headers={"Content-Security-Policy": DEMO_CSP.format(origin=origin)},
    )
