"""Reader accounts: registration, sign-in, token rotation, export and erasure."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from commentsvc.domain.comments import thread_scope
from commentsvc.domain.passwords import Passwords, is_common_password
from commentsvc.domain.tokens import AccessTokens, hash_refresh_token, new_refresh_token
from commentsvc.errors import Conflict, Forbidden, Invalid, Unauthorized
from commentsvc.kv.cache import GenerationalCache
from commentsvc.store import comments, sessions, users
from commentsvc.store.users import User

BAD_CREDENTIALS = "The username, email or password is incorrect."
TAKEN = "That username or email cannot be used; choose another or sign in."
SPENT_REFRESH = "This refresh token is no longer valid; sign in again."
ACCOUNT_GONE = "This account no longer exists."


class Tokens(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int


class Profile(msgspec.Struct, frozen=True):
    user: User
    roles: list[users.Role]


class SignedIn(msgspec.Struct, frozen=True):
    profile: Profile
    tokens: Tokens


class AccountExport(msgspec.Struct, frozen=True):
    profile: Profile
    sessions: list[sessions.Session]
    comments: list[comments.AuthoredComment]


def check_visible(value: str, field: str) -> str:
    """Names and addresses that identify someone: no characters that can disguise or hide text."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise Invalid(f"{field}: control, formatting and invisible characters are not allowed.", field=field)
    return value


def clean_display_name(raw: str | None, username: str) -> str:
    """Display names are free text, minus characters that can disguise or hide text."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        return username
    return check_visible(name, "display_name")


def check_new_password(password: str) -> None:
    if is_common_password(password):
        raise Invalid("password: this password is too common; choose another.", field="password")


class Accounts:
    def __init__(
        self,
        passwords: Passwords,
        access_tokens: AccessTokens,
        refresh_token_days: int,
        cache: GenerationalCache,
    ) -> None:
        self.passwords = passwords
        self.access_tokens = access_tokens
        self._refresh_lifetime = timedelta(days=refresh_token_days)
        self._cache = cache

    # Registration, sign-in and erasure hash a password: they take the pool and
    # hold a connection only around each storage step, never while hashing.

    async def register(
        self, db: asyncpg.Pool, *, username: str, email: str, password: str, display_name: str | None
    ) -> SignedIn:
        name = clean_display_name(display_name, username)
        check_visible(email, "email")
        check_new_password(password)
        password_hash = await self.passwords.hash(password)
        async with db.acquire() as conn, conn.transaction():
            user = await users.insert_user(
                conn, username=username, email=email.strip(), display_name=name, password_hash=password_hash
            )
            if user is None:
                raise Conflict(TAKEN)
            return SignedIn(Profile(user, []), await self._issue_tokens(conn, user.id, uuid.uuid4()))

    async def login(self, db: asyncpg.Pool, *, login: str, password: str) -> SignedIn:
        check_visible(login, "login")
        async with db.acquire() as conn:
            credentials = await users.get_credentials(conn, login.strip())
        stored_hash = credentials.password_hash if credentials else None
        if not await self.passwords.verify(stored_hash, password) or credentials is None:
            raise Unauthorized(BAD_CREDENTIALS)
        new_hash = (
            await self.passwords.hash(password)
            if self.passwords.needs_rehash(credentials.password_hash)
            else None
        )
        async with db.acquire() as conn, conn.transaction():
            if new_hash is not None:
                await users.set_password_hash(conn, credentials.user_id, new_hash)
            profile = await self._profile(conn, credentials.user_id)
            if profile is None:  # erased between the two reads
                raise Unauthorized(BAD_CREDENTIALS)
            return SignedIn(profile, await self._issue_tokens(conn, credentials.user_id, uuid.uuid4()))

    async def refresh(self, conn: asyncpg.Connection, refresh_token: str) -> SignedIn:
        token_hash = hash_refresh_token(refresh_token)
        async with conn.transaction():
            spent = await sessions.spend_token(conn, token_hash)
            profile = await self._profile(conn, spent.user_id) if spent is not None else None
            if spent is not None and profile is not None:
                return SignedIn(profile, await self._issue_tokens(conn, spent.user_id, spent.family_id))
        # Not live: a spent or revoked token coming back means it leaked, so the
        # whole family goes, the legitimate holder included.
        state = await sessions.token_state(conn, token_hash)
        if state is not None and (state.spent or state.revoked):
            await sessions.revoke_family(conn, state.family_id)
        raise Unauthorized(SPENT_REFRESH)

    async def logout(self, conn: asyncpg.Connection, refresh_token: str) -> None:
        state = await sessions.token_state(conn, hash_refresh_token(refresh_token))
        if state is not None:
            await sessions.revoke_family(conn, state.family_id)

    async def current_profile(self, conn: asyncpg.Connection, user_id: int) -> Profile:
        profile = await self._profile(conn, user_id)
        if profile is None:
            raise Unauthorized(ACCOUNT_GONE)
        return profile

    async def export(self, conn: asyncpg.Connection, user_id: int) -> AccountExport:
        return AccountExport(
            profile=await self.current_profile(conn, user_id),
            sessions=await sessions.list_sessions(conn, user_id),
            comments=await comments.by_author(conn, user_id),
        )

    async def erase(self, db: asyncpg.Pool, user_id: int, password: str) -> None:
        async with db.acquire() as conn:
            stored_hash = await users.get_password_hash(conn, user_id)
        if stored_hash is None:
            raise Unauthorized(ACCOUNT_GONE)
        if not await self.passwords.verify(stored_hash, password):
            raise Forbidden("The password is incorrect; the account was not erased.", field="password")
        async with db.acquire() as conn, conn.transaction():
            touched = await comments.articles_of_user(conn, user_id)
            await comments.anonymise_author(conn, user_id)
            await users.delete_user(conn, user_id)
        # Threads showed the author's name, and scores counted the account's votes (which go
        # with it): what anonymous readers were served is stale.
        await self._cache.invalidate(*(thread_scope(slug, key) for slug, key in touched))

    async def _profile(self, conn: asyncpg.Connection, user_id: int) -> Profile | None:
        found = await users.get_profile(conn, user_id)
        return Profile(*found) if found else None

    async def _issue_tokens(self, conn: asyncpg.Connection, user_id: int, family_id: uuid.UUID) -> Tokens:
        refresh_token = new_refresh_token()
        await sessions.insert_token(
            conn,
            token_hash=hash_refresh_token(refresh_token),
            family_id=family_id,
            user_id=user_id,
            expires_at=datetime.now(UTC) + self._refresh_lifetime,
        )
        return Tokens(
            access_token=self.access_tokens.issue(user_id),
            refresh_token=refresh_token,
            expires_in=self.access_tokens.lifetime_seconds,
        )
