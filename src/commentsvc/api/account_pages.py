"""The pages an account e-mail's link opens (/account/reset, /account/verify), in the reader's
language: the link's ``lang``, else Accept-Language. The token stays in the page's URL: never
sent on (no referrer), never stored (no-store), and spent only by the page's button."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from litestar import Request, Response, get
from litestar.params import PathParameter, QueryParameter

from commentsvc.api.pages import MEDIA_TYPES, TOKEN_PAGE_HEADERS
from commentsvc.i18n import LANGUAGES, catalogue, direction, from_accept_language


@cache
def _asset(name: str) -> bytes:
    return resources.files("commentsvc").joinpath("account", name).read_bytes()


def _page(name: str, request: Request, lang: str | None) -> Response[bytes]:
    language = lang if lang in LANGUAGES else from_accept_language(request.headers.get("accept-language"))
    # Inside <script>, "<" never appears as itself: no sentence can close the element.
    words = json.dumps(catalogue("account", language), ensure_ascii=False).replace("<", "\\u003c")
    body = (
        _asset(f"{name}.html")
        .replace(b"{lang}", language.encode())
        .replace(b"{dir}", direction(language).encode())
        .replace(b"{words}", words.encode())
    )
    return Response(body, media_type=MEDIA_TYPES["html"], headers=TOKEN_PAGE_HEADERS)


Lang = Annotated[str | None, QueryParameter(max_length=8)]


@get("/account/reset", include_in_schema=False)
async def reset_page(request: Request, lang: Lang = None) -> Response[bytes]:
    """The new password's form (the token read by the page's script), or without a token, the
    form that asks for a reset link."""
    return _page("reset", request, lang)


@get("/account/verify", include_in_schema=False)
async def verify_page(request: Request, lang: Lang = None) -> Response[bytes]:
    return _page("verify", request, lang)


@get("/account/{name:str}", include_in_schema=False)
async def account_asset(
    name: Annotated[Literal["account.js", "account.css"], PathParameter()],
) -> Response[bytes]:
    return Response(_asset(name), media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]], headers=TOKEN_PAGE_HEADERS)


HANDLERS = [reset_page, verify_page, account_asset]
