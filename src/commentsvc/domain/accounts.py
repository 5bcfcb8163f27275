"""Reader accounts: registration, sign-in, token rotation, export and erasure."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from commentsvc.domain.account_tokens import AccountTokens, Purpose
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.names import check_visible, clean_display_name, look_alike_key
from commentsvc.domain.passwords import Passwords, is_common_password
from commentsvc.domain.tokens import (
    AccessTokens,
    hash_refresh_token,
    new_refresh_token,
    successor_refresh_token,
)
from commentsvc.errors import Conflict, Forbidden, Invalid, Reason, Unauthorized
from commentsvc.model.accounts import AuthoredComment, Credentials, OwnReport, OwnVote, Role, Session, User
from commentsvc.model.events import EventType, NewEvent, UserChange, account_event
from commentsvc.store import comments, sessions, users
from commentsvc.store.pool import connection

BAD_CREDENTIALS = "The username, email or password is incorrect."
TAKEN = "That username or email cannot be used; choose another or sign in."
LOOKS_LIKE_A_USERNAME = (
    "display_name: this name looks like another reader's username; choose one they cannot be taken for."
)
SPENT_REFRESH = "This refresh token is no longer valid; sign in again."
ACCOUNT_GONE = "This account no longer exists."
NO_PASSWORD = "This account has no password (it signs in with an identity provider); it was not erased."
# Widgets on one page share a sign-in and may all refresh the same token at once. A token spent
# less than this ago gets the pair its rotation issued again, rather than being taken for a
# stolen one replayed (RFC 9700, 4.14.2, detects reuse to revoke the family): long enough for
# concurrent requests over a slow network, short enough to leave a thief little room.
REFRESH_GRACE = timedelta(seconds=10)


class Tokens(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int


class Profile(msgspec.Struct, frozen=True):
    user: User
    roles: list[Role]


class SignedIn(msgspec.Struct, frozen=True):
    profile: Profile
    tokens: Tokens


class SignInAttempt(msgspec.Struct, frozen=True):
    """A login resolved to its account (None: no account has it), and whom the per-account
    sign-in limit counts it against: the account, whichever spelling reached it, or else the
    login's normal form."""

    credentials: Credentials | None
    throttle_key: str


class AccountExport(msgspec.Struct, frozen=True):
    profile: Profile
    sessions: list[Session]
    comments: list[AuthoredComment]
    votes: list[OwnVote]
    reports: list[OwnReport]


def check_new_password(password: str, field: str = "password") -> None:
    if is_common_password(password):
        raise Invalid(
            f"{field}: this password is too common; choose another.",
            field=field,
            reason=Reason.COMMON_PASSWORD,
        )


class Accounts:
    def __init__(
        self,
        passwords: Passwords,
        access_tokens: AccessTokens,
        refresh_token_days: int,
        events: Dispatcher,
        successor_key: bytes,
        account_tokens: AccountTokens,
    ) -> None:
        self.passwords = passwords
        self._account_tokens = account_tokens
        self.access_tokens = access_tokens
        self._refresh_lifetime = timedelta(days=refresh_token_days)
        self._events = events
        self._successor_key = successor_key
        # Loads the confusables now, a noticeable pause, rather than during a first registration.
        look_alike_key("")

    # Registration, sign-in and erasure hash a password: they take the pool and
    # hold a connection only around each storage step, never while hashing.

    async def register(
        self,
        db: asyncpg.Pool,
        *,
        username: str,
        email: str,
        password: str,
        display_name: str | None,
        language: str,
    ) -> SignedIn:
        name = clean_display_name(display_name, username)
        check_visible(email, "email")
        check_new_password(password)
        username_key, name_key = look_alike_key(username), look_alike_key(name)
        password_hash = await self.passwords.hash(password)
        async with connection(db) as conn, self._events.transaction(conn) as change:
            # A username a reader could not tell from another's is taken; so is a display name that
            # looks like another's username (one's own is the default display name).
            taken = await users.usernames_looking_like(conn, username_key, name_key)
            if username_key in taken:
                raise Conflict(TAKEN, reason=Reason.TAKEN)
            if name_key in taken:
                raise Invalid(
                    LOOKS_LIKE_A_USERNAME, field="display_name", reason=Reason.LOOKS_LIKE_A_USERNAME
                )
            user = await users.insert_user(
                conn,
                username=username,
                email=email.strip(),
                display_name=name,
                password_hash=password_hash,
                language=language,
            )
            if user is None:
                raise Conflict(TAKEN, reason=Reason.TAKEN)
            # The account-mail subscriber sends the verification e-mail.
            token_id = await self._account_tokens.issue(conn, user.id, Purpose.VERIFY, user.email)
            await change.record(account_event(EventType.ACCOUNT_REGISTERED, user.id, token_id))
            return SignedIn(Profile(user, []), await self._issue_tokens(conn, user.id, uuid.uuid4()))

    async def find_login(self, db: asyncpg.Pool, login: str) -> SignInAttempt:
        """The account a username or an e-mail address signs into. Usernames are ASCII, so a
        login without '@' that is not ASCII once normalised (NFKC, case folded) reaches none."""
        check_visible(login, "login")
        normal = unicodedata.normalize("NFKC", login.strip()).casefold()
        async with connection(db) as conn:
            if "@" in normal:
                credentials = await users.credentials_by_email(conn, login.strip())
            elif normal.isascii():
                credentials = await users.credentials_by_username(conn, normal)
            else:
                credentials = None
        throttle_key = f"account:{credentials.user_id}" if credentials else f"login:{normal}"
        return SignInAttempt(credentials, throttle_key)

    async def login(self, db: asyncpg.Pool, attempt: SignInAttempt, password: str) -> SignedIn:
        credentials = attempt.credentials
        stored_hash = credentials.password_hash if credentials else None
        if not await self.passwords.verify(stored_hash, password) or credentials is None:
            raise Unauthorized(BAD_CREDENTIALS, reason=Reason.BAD_CREDENTIALS)
        new_hash = (
            await self.passwords.hash(password)
            if self.passwords.needs_rehash(credentials.password_hash)
            else None
        )
        async with connection(db) as conn, conn.transaction():
            if new_hash is not None:
                await users.set_password_hash(conn, credentials.user_id, new_hash)
            profile = await self._profile(conn, credentials.user_id)
            if profile is None:  # erased between the two reads
                raise Unauthorized(BAD_CREDENTIALS, reason=Reason.BAD_CREDENTIALS)
            return SignedIn(profile, await self._issue_tokens(conn, credentials.user_id, uuid.uuid4()))

    async def sign_in_as(self, conn: asyncpg.Connection, user_id: int) -> SignedIn:
        """A new sign-in for an account whose owner proved who they are elsewhere (an identity
        provider: domain/identities.py)."""
        profile = await self.current_profile(conn, user_id)
        return SignedIn(profile, await self._issue_tokens(conn, user_id, uuid.uuid4()))

    async def refresh(self, conn: asyncpg.Connection, refresh_token: str) -> SignedIn:
        token_hash = hash_refresh_token(refresh_token)
        successor = successor_refresh_token(self._successor_key, refresh_token)
        async with conn.transaction():
            spent = await sessions.spend_token(conn, token_hash)
            profile = await self._profile(conn, spent.user_id) if spent is not None else None
            if spent is not None and profile is not None:
                tokens = await self._issue_tokens(conn, spent.user_id, spent.family_id, successor)
                return SignedIn(profile, tokens)
        # Spent a moment ago by a concurrent refresh (which committed before spend_token above
        # returned): the same refresh token again, with an access token of its own.
        raced = await sessions.live_successor(conn, token_hash, hash_refresh_token(successor), REFRESH_GRACE)
        profile = await self._profile(conn, raced.user_id) if raced is not None else None
        if raced is not None and profile is not None:
            return SignedIn(profile, self._tokens(raced.user_id, successor, raced.family_id))
        # Not live: a spent or revoked token coming back means it leaked, so the
        # whole family goes, the legitimate holder included.
        state = await sessions.token_state(conn, token_hash)
        if state is not None and (state.spent or state.revoked):
            await sessions.revoke_family(conn, state.family_id)
        raise Unauthorized(SPENT_REFRESH, reason=Reason.SESSION_ENDED)

    async def logout(self, conn: asyncpg.Connection, refresh_token: str) -> None:
        state = await sessions.token_state(conn, hash_refresh_token(refresh_token))
        if state is not None:
            await sessions.revoke_family(conn, state.family_id)

    async def current_profile(self, conn: asyncpg.Connection, user_id: int) -> Profile:
        profile = await self._profile(conn, user_id)
        if profile is None:
            raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
        return profile

    async def start_session(self, conn: asyncpg.Connection, user_id: int) -> SignedIn:
        """A new sign-in of an account that something else than a password vouched for (a host
        site's token)."""
        profile = await self.current_profile(conn, user_id)
        return SignedIn(profile, await self._issue_tokens(conn, user_id, uuid.uuid4()))

    async def check_exists(self, db: asyncpg.Pool, user_id: int) -> None:
        """Unauthorized when the account was erased (its access tokens outlive it)."""
        async with connection(db) as conn:
            if not await users.user_exists(conn, user_id):
                raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)

    async def export(self, conn: asyncpg.Connection, user_id: int) -> AccountExport:
        return AccountExport(
            profile=await self.current_profile(conn, user_id),
            sessions=await sessions.list_sessions(conn, user_id),
            comments=await comments.by_author(conn, user_id),
            votes=await comments.votes_of(conn, user_id),
            reports=await comments.reports_of(conn, user_id),
        )

    async def erase(self, db: asyncpg.Pool, user_id: int, password: str) -> None:
        async with connection(db) as conn:
            stored_hash = await users.get_password_hash(conn, user_id)
        if stored_hash is None:
            async with connection(db) as conn:
                if await users.user_exists(conn, user_id):
                    # Made by signing in with a provider: no password confirms an erasure.
                    raise Forbidden(NO_PASSWORD, field="password")
            raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
        if not await self.passwords.verify(stored_hash, password):
            raise Forbidden("The password is incorrect; the account was not erased.", field="password")
        async with connection(db) as conn, self._events.transaction(conn) as change:
            # Threads showed the author's name, and scores counted the account's votes (which go
            # with it): each article of theirs changed.
            touched = await comments.articles_of_user(conn, user_id)
            await comments.anonymise_author(conn, user_id)
            await users.delete_user(conn, user_id)
            await change.record(
                *(
                    NewEvent(EventType.USER_ERASED, site_id, article_id, UserChange(user_id))
                    for site_id, article_id in touched
                )
            )

    async def _profile(self, conn: asyncpg.Connection, user_id: int) -> Profile | None:
        found = await users.get_profile(conn, user_id)
        return Profile(*found) if found else None

    async def _issue_tokens(
        self, conn: asyncpg.Connection, user_id: int, family_id: uuid.UUID, refresh_token: str | None = None
    ) -> Tokens:
        """A new pair; its refresh token is random for a sign-in, derived for a rotation."""
        refresh_token = refresh_token or new_refresh_token()
        await sessions.insert_token(
            conn,
            token_hash=hash_refresh_token(refresh_token),
            family_id=family_id,
            user_id=user_id,
            expires_at=datetime.now(UTC) + self._refresh_lifetime,
        )
        return self._tokens(user_id, refresh_token, family_id)

    def _tokens(self, user_id: int, refresh_token: str, family_id: uuid.UUID) -> Tokens:
        return Tokens(
            access_token=self.access_tokens.issue(user_id, family_id),
            refresh_token=refresh_token,
            expires_in=self.access_tokens.lifetime_seconds,
        )
