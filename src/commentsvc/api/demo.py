"""The demo host pages, wired to this instance and the demo site."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from litestar import MediaType, Request, get
from litestar.params import FromPath
from litestar.response import Redirect

from commentsvc.domain.sites import DEMO_SITE


@cache
def _page(name: str) -> str:
    return resources.files("commentsvc").joinpath("demo", name).read_text(encoding="utf-8")


@get("/demo", include_in_schema=False, status_code=302)
async def demo_index() -> Redirect:
    return Redirect("/demo/article.html")


@get("/demo/{page:str}", media_type=MediaType.HTML, include_in_schema=False)
async def demo_page(request: Request, page: FromPath[Literal["article.html", "listing.html"]]) -> str:
    origin = request.app.state.settings.public_url
    return _page(page).replace("{{SERVICE_ORIGIN}}", origin).replace("{{SITE_ID}}", DEMO_SITE)
