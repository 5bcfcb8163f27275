"""Host-site SSO: a host site's reader signs in with the token the host's server signed."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from commentsvc.api.accounts import AuthOut, auth_out
from commentsvc.api.deps import Pool
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import rate_limit
from commentsvc.domain.sites import SLUG
from commentsvc.domain.sso import MAX_TOKEN, HostSignIn


class SsoIn(msgspec.Struct, forbid_unknown_fields=True):
    site: Annotated[str, msgspec.Meta(pattern=SLUG.pattern, description="The site's slug (the token's aud).")]
    token: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=MAX_TOKEN,
            description="A JWT (HS256) the host site's server signed with the site's SSO secret.",
        ),
    ]


def provide_host_sign_in(state: State) -> HostSignIn:
    return state.host_sign_in


@post(
    "/api/v1/auth/sso",
    status_code=200,
    tags=["accounts"],
    dependencies={"host_sign_in": Provide(provide_host_sign_in, sync_to_thread=False)},
    before_request=rate_limit(address="sso"),
    responses=error_responses(400, 401, 413, 415, 429, 503),
)
async def sso_sign_in(data: JSONBody[SsoIn], db: Pool, host_sign_in: NamedDependency[HostSignIn]) -> AuthOut:
    """Sign in as the host site's reader its token names (`sub`), the account made on first use and
    updated from the token's `name`, `email` and `avatar` afterwards. A forged, expired,
    wrong-audience or retired-secret token: 401."""
    return auth_out(await host_sign_in.sign_in(db, data.site, data.token))


HANDLERS = [sso_sign_in]
