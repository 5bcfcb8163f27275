"""Signing in with an identity provider, in a popup the widget opens: /start sends the reader to
the provider, /callback takes its answer and hands the outcome to the widget's frame (a page whose
script posts it to the opener, on the service's own origin only), or asks to confirm a link. The
two JSON routes let a signed-in reader link an identity: a one-time code in place of the access
token in the popup's URL, and the confirmation."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Redirect

from commentsvc.api.accounts import auth_out
from commentsvc.api.assets import words
from commentsvc.api.deps import Caller, Pool
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import rate_limit
from commentsvc.api.pages import TOKEN_PAGE_HEADERS
from commentsvc.api.security import requires_user
from commentsvc.config import Settings
from commentsvc.domain.identities import Outcome, ProviderSignIn
from commentsvc.errors import Invalid, ServiceError
from commentsvc.i18n import LANGUAGES, direction, from_accept_language
from commentsvc.kv.sign_in_flows import FLOW_SECONDS, LINK_CODE_SECONDS

COOKIE = "commentsvc_oidc_state"
COOKIE_PATH = "/auth/oidc/"
# What a provider sends back: codes and states are short; anything longer is no provider's.
PARAMETER_MAX = 2048
PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>commentsvc</title>
<link rel="stylesheet" href="/auth/oidc/popup.css"><script src="/widget/{messages}" defer></script>
<script src="/auth/oidc/popup.js" defer></script></head>
<body><main><h1 id="title"></h1><p id="message" role="status"></p><div id="actions"></div></main>
<script type="application/json" id="outcome">{outcome}</script></body></html>
"""
ProviderName = Annotated[str, PathParameter(pattern=r"^[a-z][a-z0-9]{0,19}$")]
Parameter = Annotated[str | None, QueryParameter(max_length=PARAMETER_MAX)]
SignInService = NamedDependency[ProviderSignIn]


class LinkCodeOut(msgspec.Struct):
    code: str
    expires_in: int


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=PARAMETER_MAX)]


class LinkedOut(msgspec.Struct):
    provider: str


def provide_sign_in(state: State) -> ProviderSignIn:
    return state.sign_in


def _language(request: Request, lang: str | None) -> str:
    if lang in LANGUAGES:
        return lang
    return from_accept_language(request.headers.get("accept-language"))


def _page(settings: Settings, lang: str, outcome: dict[str, object], status: int = 200) -> Response[str]:
    # Inside <script>, "<" never appears as itself: nothing in the data can close the element.
    data = msgspec.json.encode({**outcome, "origin": settings.public_url}).decode()
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    response = Response(
        PAGE.format(lang=lang, dir=direction(lang), messages=words(lang, "popup").hashed_name, outcome=data),
        status_code=status,
        media_type="text/html",
        headers=TOKEN_PAGE_HEADERS,
    )
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _refused(settings: Settings, lang: str, exc: ServiceError) -> Response[str]:
    return _page(
        settings, lang, {"outcome": "refused", "reason": exc.reason, "detail": exc.detail}, exc.status_code
    )


def _answer(
    settings: Settings, sign_in: ProviderSignIn, lang: str, name: str, outcome: Outcome
) -> Response[str]:
    if outcome.signed_in is not None:
        return _page(settings, lang, {"outcome": "signed_in", "auth": auth_out(outcome.signed_in)})
    confirmation = outcome.confirmation
    assert confirmation is not None
    return _page(
        settings,
        lang,
        {
            "outcome": "confirm",
            "provider": sign_in.provider(name).label,
            "username": confirmation.username,
            "email": confirmation.email,
            "token": confirmation.token,
        },
    )


class SignInPopup(Controller):
    path = "/auth/oidc"
    include_in_schema = False
    dependencies = {"sign_in": Provide(provide_sign_in, sync_to_thread=False)}

    @get("/{name:str}/start", before_request=rate_limit(address="login"))
    async def start(
        self,
        request: Request,
        name: ProviderName,
        sign_in: SignInService,
        lang: Annotated[str | None, QueryParameter(max_length=8)] = None,
        link: Parameter = None,
    ) -> Response[str] | Redirect:
        settings: Settings = request.app.state.settings
        language = _language(request, lang)
        try:
            started = await sign_in.start(name, language, link)
        except ServiceError as exc:
            return _refused(settings, language, exc)
        redirect = Redirect(started.url, status_code=302, headers={"Cache-Control": "no-store"})
        # The popup is a first-party window: its cookie ties the provider's answer to this browser.
        redirect.set_cookie(
            Cookie(
                key=COOKIE,
                value=started.state,
                path=COOKIE_PATH,
                max_age=FLOW_SECONDS,
                httponly=True,
                secure=settings.public_url.startswith("https://"),
                samesite="lax",
            )
        )
        return redirect

    @get("/{name:str}/callback", before_request=rate_limit(address="login"))
    async def callback(
        self,
        request: Request,
        name: ProviderName,
        db: Pool,
        sign_in: SignInService,
        code: Parameter = None,
        iss: Parameter = None,
        error: Parameter = None,
    ) -> Response[str]:
        settings: Settings = request.app.state.settings
        # `state` names Litestar's own parameter: read here, held to the same bound as the others.
        answered_state = request.query_params.get("state") or ""
        if len(answered_state) > PARAMETER_MAX:
            raise Invalid(f"state: at most {PARAMETER_MAX} characters.", field="state")
        language = _language(request, None)
        try:
            flow = await sign_in.flow(name, answered_state, request.cookies.get(COOKIE))
            language = flow.lang
            outcome = await sign_in.finish(db, flow, code=code, error=error, issuer=iss)
        except ServiceError as exc:
            return _refused(settings, language, exc)
        return _answer(settings, sign_in, language, name, outcome)

    @get("/{asset:str}")
    async def asset(
        self, asset: Annotated[Literal["popup.js", "popup.css"], PathParameter()]
    ) -> Response[bytes]:
        media_type = "text/javascript" if asset.endswith(".js") else "text/css"
        return Response(_asset(asset), media_type=media_type, headers=TOKEN_PAGE_HEADERS)


@cache
def _asset(name: str) -> bytes:
    return resources.files("commentsvc").joinpath("signin", name).read_bytes()


class IdentityLinks(Controller):
    tags = ["accounts"]
    dependencies = {"sign_in": Provide(provide_sign_in, sync_to_thread=False)}

    @post(
        "/api/v1/me/identities/link-code",
        guards=[requires_user],
        before_request=rate_limit(address="account"),
        security=[{"bearer": []}],
        responses=error_responses(401, 429, 503),
    )
    async def link_code(self, principal: Caller, sign_in: SignInService) -> LinkCodeOut:
        """A one-time code (valid two minutes) that opens `/auth/oidc/{name}/start?link=CODE` to link
        an identity to the caller's account, so the access token never appears in a URL."""
        return LinkCodeOut(await sign_in.link_code(principal.user_id), LINK_CODE_SECONDS)

    @post(
        "/api/v1/auth/oidc/link",
        status_code=200,
        before_request=rate_limit(address="account"),
        responses=error_responses(400, 401, 409, 413, 415, 429, 503),
    )
    async def link(self, data: JSONBody[LinkIn], db: Pool, sign_in: SignInService) -> LinkedOut:
        """Confirm a link, from the popup's confirmation step: the token it shows (signed for one
        account, valid ten minutes) is the credential. 409 `identity_taken` when another account
        has the identity."""
        return LinkedOut(await sign_in.confirm(db, data.token))
