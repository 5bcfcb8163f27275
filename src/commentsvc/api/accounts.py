"""Accounts and tokens: register, sign in, refresh, sign out, and the caller's own data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody

from commentsvc.api.deps import AccountChangesService, AccountsService, Caller, Conn, Pool
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import enforce, rate_limit
from commentsvc.api.security import requires_token
from commentsvc.domain.accounts import AccountExport, Profile, SignedIn
from commentsvc.i18n import from_accept_language
from commentsvc.model.accounts import AuthoredComment, OwnReport, OwnVote

USERNAME = Annotated[str, msgspec.Meta(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
# An address mail can reach as it is written: a dot-atom local part (RFC 5322: no quoted string,
# which mail headers would rewrite) of ASCII, at a domain of ASCII labels or an address literal
# ([192.0.2.1]). Internationalised addresses need SMTPUTF8, which relays do not all offer.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
EMAIL = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=254,
        pattern=rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+|\[[A-Za-z0-9:.]+\])$",
    ),
]
NEW_PASSWORD = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
PASSWORD = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
OPAQUE_TOKEN = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


DISPLAY_NAME = Annotated[str, msgspec.Meta(max_length=64)]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    username: USERNAME
    email: EMAIL
    password: NEW_PASSWORD
    display_name: DISPLAY_NAME | None = None


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=254, pattern=r"^[^\x00-\x1f\x7f]+$")]
    password: PASSWORD


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: OPAQUE_TOKEN


class PasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    password: PASSWORD


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    """Each field optional: what is left out stays as it is. An empty display name is the username."""

    display_name: DISPLAY_NAME | None = None
    email: EMAIL | None = None


class RoleOut(msgspec.Struct):
    role: Literal["admin", "moderator", "owner"]
    site: str | None


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    email: str | None  # null: an account of a host site's sign-in whose host gave no address
    created_at: datetime
    roles: list[RoleOut]
    # False until the reader follows the link e-mailed to the address (a new address becomes
    # ``email`` only once followed).
    email_verified: bool


class AuthOut(msgspec.Struct):
    user: UserOut
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class SessionOut(msgspec.Struct):
    started_at: datetime
    last_refreshed_at: datetime
    expires_at: datetime
    active: bool


class ExportOut(msgspec.Struct):
    user: UserOut
    sessions: list[SessionOut]
    comments: list[AuthoredComment]
    votes: list[OwnVote]
    reports: list[OwnReport]


def user_out(profile: Profile) -> UserOut:
    user = profile.user
    roles = [RoleOut(role.role, role.site) for role in profile.roles]  # type: ignore[arg-type]
    return UserOut(
        user.id, user.username, user.display_name, user.email, user.created_at, roles, user.email_verified
    )


def auth_out(signed_in: SignedIn) -> AuthOut:
    tokens = signed_in.tokens
    return AuthOut(user_out(signed_in.profile), tokens.access_token, tokens.refresh_token, tokens.expires_in)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post(
        "/register",
        before_request=rate_limit(address="register"),
        responses=error_responses(400, 409, 413, 415, 429, 503),
    )
    async def register(
        self, request: Request, data: JSONBody[RegisterIn], db: Pool, accounts: AccountsService
    ) -> AuthOut:
        """Create an account and sign in; a verification e-mail goes to the address, in the
        language Accept-Language ranks first (French or English; French otherwise)."""
        signed_in = await accounts.register(
            db,
            username=data.username,
            email=data.email,
            password=data.password,
            display_name=data.display_name,
            language=from_accept_language(request.headers.get("accept-language")),
        )
        return auth_out(signed_in)

    @post(
        "/login",
        status_code=200,
        before_request=rate_limit(address="login"),
        responses=error_responses(400, 401, 413, 415, 429, 503),
    )
    async def login(
        self, request: Request, data: JSONBody[LoginIn], db: Pool, accounts: AccountsService
    ) -> AuthOut:
        """Sign in with a username or email and a password."""
        attempt = await accounts.find_login(db, data.login)
        await enforce(request, ("login_account", attempt.throttle_key))
        return auth_out(await accounts.login(db, attempt, data.password))

    @post(
        "/refresh",
        status_code=200,
        before_request=rate_limit(address="refresh"),
        responses=error_responses(400, 401, 413, 415, 429, 503),
    )
    async def refresh(self, data: JSONBody[RefreshIn], conn: Conn, accounts: AccountsService) -> AuthOut:
        """Trade a refresh token for a new pair; the old one is spent."""
        return auth_out(await accounts.refresh(conn, data.refresh_token))

    @post(
        "/logout",
        status_code=204,
        before_request=rate_limit(address="refresh"),
        responses=error_responses(400, 413, 415, 429, 503),
    )
    async def logout(self, data: JSONBody[RefreshIn], conn: Conn, accounts: AccountsService) -> None:
        """Revoke the refresh token's whole family (this sign-in on every device it reached)."""
        await accounts.logout(conn, data.refresh_token)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["accounts"]
    # Each handler reads the account first and answers 401 when it was erased.
    guards = [requires_token]
    before_request = rate_limit(address="account")
    security = [{"bearer": []}]

    @get("", responses=error_responses(401, 429, 503))
    async def me(self, principal: Caller, conn: Conn, accounts: AccountsService) -> UserOut:
        """The signed-in reader."""
        return user_out(await accounts.current_profile(conn, principal.user_id))

    @patch("", responses=error_responses(400, 401, 409, 413, 415, 429, 503))
    async def update(
        self, principal: Caller, data: JSONBody[ProfileIn], conn: Conn, account_changes: AccountChangesService
    ) -> UserOut:
        """Change the display name (checked as at registration) or the e-mail address: a new
        address takes effect once the link sent to it is followed, and the old one is told."""
        profile = await account_changes.update_profile(conn, principal.user_id, data.display_name, data.email)
        return user_out(profile)

    @get("/export", responses=error_responses(401, 429, 503))
    async def export(self, principal: Caller, conn: Conn, accounts: AccountsService) -> ExportOut:
        """Everything stored about the caller."""
        exported: AccountExport = await accounts.export(conn, principal.user_id)
        sessions = [
            SessionOut(s.started_at, s.last_refreshed_at, s.expires_at, s.active) for s in exported.sessions
        ]
        return ExportOut(
            user_out(exported.profile), sessions, exported.comments, exported.votes, exported.reports
        )

    @delete("", responses=error_responses(400, 401, 403, 413, 415, 429, 503))
    async def erase(
        self, principal: Caller, data: JSONBody[PasswordIn], db: Pool, accounts: AccountsService
    ) -> None:
        """Erase the account (the password confirms it); its comments are anonymised."""
        await accounts.erase(db, principal.user_id, data.password)
