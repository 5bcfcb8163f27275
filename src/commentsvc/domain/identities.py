"""Signing in with an identity provider: the flow's secrets (state, nonce, PKCE verifier) kept
server-side, the provider's answer checked (oidc/), and the identity turned into an account. An
identity reaches an existing account only by linking, which the reader asks for while signed in to
it and confirms; an address the provider shares never links anything by itself."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from datetime import timedelta

import asyncpg
import msgspec
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from commentsvc.domain.accounts import Accounts, SignedIn
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.links import Links
from commentsvc.domain.names import clean_display_name, look_alike_key
from commentsvc.errors import Conflict, Invalid, NotFound, Reason, ServiceError, Unauthorized
from commentsvc.kv.sign_in_flows import SignInFlows
from commentsvc.model.events import EventType, account_event
from commentsvc.model.identities import Flow, ProviderIdentity
from commentsvc.oidc.providers import Provider
from commentsvc.store import identities, users
from commentsvc.store.pool import connection

LINK_PURPOSE = "identity-link"
# The confirmation page's button must be pressed within this.
LINK_LIFETIME = timedelta(minutes=10)
STALE_STATE = (
    "This sign-in was not started in this browser, was already used, or took too long; start it again."
)
_NOT_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")
# Attempts at a free username: the provider's, then with a random number after it.
USERNAME_TRIES = 5


class Confirmation(msgspec.Struct, frozen=True):
    """A link the reader must confirm: their account, the identity, and the signed token the
    confirmation sends."""

    username: str
    provider: str
    email: str | None
    token: str


class Outcome(msgspec.Struct, frozen=True):
    """What a provider's answer came to: a sign-in, or a link to confirm."""

    signed_in: SignedIn | None = None
    confirmation: Confirmation | None = None


class Started(msgspec.Struct, frozen=True):
    state: str
    url: str


class ProviderSignIn:
    def __init__(
        self,
        providers: dict[str, Provider],
        flows: SignInFlows,
        accounts: Accounts,
        links: Links,
        events: Dispatcher,
    ) -> None:
        self.providers = providers
        self._flows = flows
        self._accounts = accounts
        self._links = links
        self._events = events

    def provider(self, name: str) -> Provider:
        found = self.providers.get(name)
        if found is None:
            raise NotFound(f"No identity provider is called {name[:20]!r} here.")
        return found

    def callback_url(self, name: str) -> str:
        return self._links.url(f"/auth/oidc/{name}/callback")

    async def link_code(self, user_id: int) -> str:
        """A one-time code the signed-in widget hands to the popup, in place of its access token."""
        code = secrets.token_urlsafe(32)
        await self._flows.keep_link_code(code, user_id)
        return code

    async def start(self, name: str, lang: str, link_code: str | None) -> Started:
        provider = self.provider(name)
        link_user_id = None
        if link_code is not None:
            link_user_id = await self._flows.take_link_code(link_code)
            if link_user_id is None:
                raise Invalid(
                    "link: this link code is not valid, or no longer is.",
                    field="link",
                    reason=Reason.BAD_LINK,
                )
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        await self._flows.keep(state, Flow(name, nonce, verifier, lang, link_user_id))
        url = await provider.authorization_url(
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            redirect_uri=self.callback_url(name),
        )
        return Started(state, url)

    async def flow(self, name: str, state: str, browser_state: str | None) -> Flow:
        """The flow the answer belongs to: started in this browser (its cookie says the same state),
        with this provider, and not answered before."""
        if not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
            raise Unauthorized(STALE_STATE, reason=Reason.STATE_MISMATCH)
        flow = await self._flows.take(state)
        if flow is None or flow.provider != name:
            raise Unauthorized(STALE_STATE, reason=Reason.STATE_MISMATCH)
        return flow

    async def finish(
        self, db: asyncpg.Pool, flow: Flow, *, code: str | None, error: str | None, issuer: str | None
    ) -> Outcome:
        provider = self.provider(flow.provider)
        if error is not None or not code:
            raise Unauthorized("The identity provider did not sign you in.", reason=Reason.PROVIDER_REFUSED)
        identity = await provider.identity(
            code=code,
            code_verifier=flow.code_verifier,
            nonce=flow.nonce,
            redirect_uri=self.callback_url(flow.provider),
            issuer=issuer,
        )
        async with connection(db) as conn:
            if flow.link_user_id is not None:
                return Outcome(confirmation=await self._confirmation(conn, flow.link_user_id, identity))
            async with self._events.transaction(conn) as change:
                user_id = await identities.owner(conn, identity.provider, identity.subject)
                if user_id is None:
                    user_id = await self._new_account(conn, identity, flow.lang)
                    if identity.email_verified:
                        # The provider vouches for the address: guests imported under it are the
                        # reader's, as after a verification link (their claim follows from this).
                        await change.record(
                            account_event(EventType.ACCOUNT_EMAIL_VERIFIED, user_id, email=identity.email)
                        )
                return Outcome(signed_in=await self._accounts.sign_in_as(conn, user_id))

    async def confirm(self, db: asyncpg.Pool, token: str) -> str:
        """Link the confirmed identity to the account the token names (signed by this service when
        its reader, signed in, came back from the provider in this browser); returns the provider."""
        claims = self._links.read(LINK_PURPOSE, token)
        user_id = claims["uid"]
        identity = msgspec.convert(claims["identity"], ProviderIdentity)
        async with connection(db) as conn:
            await self._accounts.current_profile(conn, user_id)  # 401 once erased
            linked = await identities.link(conn, user_id, identity)
        if linked.user_id != user_id:
            raise Conflict("This identity is linked to another account.", reason=Reason.IDENTITY_TAKEN)
        return identity.provider

    async def _confirmation(
        self, conn: asyncpg.Connection, user_id: int, identity: ProviderIdentity
    ) -> Confirmation:
        owner = await identities.owner(conn, identity.provider, identity.subject)
        if owner is not None and owner != user_id:
            raise Conflict("This identity is linked to another account.", reason=Reason.IDENTITY_TAKEN)
        profile = await self._accounts.current_profile(conn, user_id)
        token = self._links.sign(
            LINK_PURPOSE, {"uid": user_id, "identity": msgspec.to_builtins(identity)}, LINK_LIFETIME
        )
        return Confirmation(profile.user.username, identity.provider, identity.email, token)

    async def _new_account(self, conn: asyncpg.Connection, identity: ProviderIdentity, lang: str) -> int:
        if identity.email is None:
            raise Unauthorized(
                "The identity provider shares no e-mail address, which a new account needs.",
                reason=Reason.NO_EMAIL,
            )
        if await identities.account_with_email(conn, identity.email) is not None:
            raise Conflict(
                "An account already uses this e-mail address: sign in to it, then link this provider.",
                reason=Reason.EMAIL_IN_USE,
            )
        base = _username_base(identity)
        for attempt in range(USERNAME_TRIES):
            username = base if attempt == 0 else f"{base[:26]}-{secrets.randbelow(10**5):05d}"
            name = _display_name(identity.name, username)
            taken = await users.usernames_looking_like(conn, look_alike_key(username), look_alike_key(name))
            if look_alike_key(username) in taken:
                continue
            user_id = await identities.insert_account(
                conn,
                username=username,
                email=identity.email,
                email_verified=identity.email_verified,
                display_name=username if look_alike_key(name) in taken else name,
                language=lang,
            )
            if user_id is not None:
                await identities.link(conn, user_id, identity)
                return user_id
        raise Conflict("No free username was found for this identity; please try again.", reason=Reason.TAKEN)


def _username_base(identity: ProviderIdentity) -> str:
    """The provider's username as far as ours allow (ASCII letters, digits, _ . -), else the
    provider's name."""
    raw = identity.preferred_username or (identity.email or "").split("@")[0] or identity.provider
    ascii_only = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    base = _NOT_USERNAME.sub("-", ascii_only).strip("-.")[:32]
    return base if len(base) >= 3 else f"{identity.provider}-reader"[:32]


def _display_name(name: str | None, username: str) -> str:
    try:
        return clean_display_name(name, username)
    except ServiceError:  # an @, invisible characters: the username instead
        return username
