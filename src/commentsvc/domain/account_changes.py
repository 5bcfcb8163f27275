"""What a reader changes of their account, and the steps its e-mails carry out: a forgotten
password reset, an address verified, a new address confirmed, the password and display name
changed. Each change records its account event; the account-mail subscriber writes the e-mail."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from commentsvc.domain.account_tokens import BAD_LINK, AccountTokens, Purpose
from commentsvc.domain.accounts import (
    ACCOUNT_GONE,
    LOOKS_LIKE_A_USERNAME,
    TAKEN,
    Accounts,
    Profile,
    check_new_password,
)
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.names import check_visible, clean_display_name, look_alike_key
from commentsvc.errors import Conflict, Forbidden, Invalid, Reason, Unauthorized
from commentsvc.model.events import EventType, account_event
from commentsvc.store import sessions, users
from commentsvc.store.pool import connection

# How long asking for a reset link takes, whether the address is known or not: far longer than
# the one event a known address writes (a few milliseconds), short enough to go unnoticed.
FORGOT_TAKES = 0.25
WRONG_PASSWORD = "current_password: the password is incorrect; nothing was changed."


class AccountChanges:
    def __init__(self, accounts: Accounts, account_tokens: AccountTokens, events: Dispatcher) -> None:
        self._accounts = accounts
        self._passwords = accounts.passwords
        self._tokens = account_tokens
        self._events = events

    async def forgot_password(self, db: asyncpg.Pool, email: str) -> None:
        """A reset e-mail for the account with this address, if there is one. The caller is not
        told: the statements are the same but for a known address's event, and the answer waits
        until FORGOT_TAKES has passed either way (the connection given back first)."""
        started = time.monotonic()
        async with connection(db) as conn, self._events.transaction(conn) as change:
            issued = await self._tokens.issue_for_address(conn, email.strip(), Purpose.RESET)
            if issued is not None:
                user_id, token_id = issued
                await change.record(account_event(EventType.ACCOUNT_RESET_REQUESTED, user_id, token_id))
        await asyncio.sleep(max(0.0, FORGOT_TAKES - (time.monotonic() - started)))

    async def reset_password(self, db: asyncpg.Pool, token: str, password: str) -> None:
        """A new password through a reset link: every sign-in of the account ends."""
        check_new_password(password)
        self._tokens.check(token, [Purpose.RESET])  # a forged token costs no hashing
        password_hash = await self._passwords.hash(password)
        async with connection(db) as conn, self._events.transaction(conn) as change:
            used = await self._tokens.use(conn, token, [Purpose.RESET])
            await users.set_password_hash(conn, used.user_id, password_hash)
            await sessions.revoke_sessions(conn, used.user_id)
            await change.record(account_event(EventType.ACCOUNT_PASSWORD_CHANGED, used.user_id))

    async def verify_email(self, conn: asyncpg.Connection, token: str) -> None:
        """The address a verification link was sent to is the reader's: the account's is marked
        verified, or a new one becomes the account's (and the old one is told)."""
        async with self._events.transaction(conn) as change:
            used = await self._tokens.use(conn, token, [Purpose.VERIFY, Purpose.EMAIL])
            if used.purpose == Purpose.VERIFY:
                # The account changed its address since: this link proves nothing about the new one.
                if not await users.verify_email(conn, used.user_id, used.email):
                    raise Invalid(BAD_LINK, field="token", reason=Reason.BAD_LINK)
            else:
                old = await users.change_email(conn, used.user_id, used.email)
                if old is None:
                    raise Conflict(TAKEN, reason=Reason.TAKEN)
                await change.record(account_event(EventType.ACCOUNT_EMAIL_CHANGED, used.user_id, email=old))
            # Guests imported under this address are the reader's: their claim follows from this.
            await change.record(
                account_event(EventType.ACCOUNT_EMAIL_VERIFIED, used.user_id, email=used.email)
            )

    async def request_verification(self, conn: asyncpg.Connection, user_id: int) -> None:
        """The verification e-mail again; nothing for an address already verified."""
        async with self._events.transaction(conn) as change:
            user = await users.get_user(conn, user_id)
            if user is None:
                raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
            if user.email_verified:
                return
            token_id = await self._tokens.issue(conn, user_id, Purpose.VERIFY, user.email)
            await change.record(account_event(EventType.ACCOUNT_VERIFICATION_REQUESTED, user_id, token_id))

    async def change_password(
        self, db: asyncpg.Pool, user_id: int, session: str | None, current: str, new: str
    ) -> None:
        """A new password, the current one confirming it: every sign-in but ``session`` ends."""
        check_new_password(new, "new_password")
        async with connection(db) as conn:
            stored_hash = await users.get_password_hash(conn, user_id)
        if stored_hash is None:
            raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
        if not await self._passwords.verify(stored_hash, current):
            raise Forbidden(WRONG_PASSWORD, field="current_password")
        new_hash = await self._passwords.hash(new)
        keep = uuid.UUID(session) if session else None
        async with connection(db) as conn, self._events.transaction(conn) as change:
            await users.set_password_hash(conn, user_id, new_hash)
            await sessions.revoke_sessions(conn, user_id, keep)
            await change.record(account_event(EventType.ACCOUNT_PASSWORD_CHANGED, user_id))

    async def update_profile(
        self, conn: asyncpg.Connection, user_id: int, display_name: str | None, email: str | None
    ) -> Profile:
        """A new display name, checked as at registration, at once; a new address once the link
        sent to it is followed."""
        if display_name is None and email is None:
            raise Invalid("Nothing to change: give display_name, email or both.")
        async with self._events.transaction(conn) as change:
            user = await users.get_user(conn, user_id)
            if user is None:
                raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
            if display_name is not None:
                name = clean_display_name(display_name, user.username)
                name_key = look_alike_key(name)
                # Looking like one's own username is no harm: it is the default display name.
                if name_key != look_alike_key(user.username) and await users.usernames_looking_like(
                    conn, name_key
                ):
                    raise Invalid(
                        LOOKS_LIKE_A_USERNAME, field="display_name", reason=Reason.LOOKS_LIKE_A_USERNAME
                    )
                await users.set_display_name(conn, user_id, name)
            if email is not None and email.strip().lower() != user.email.lower():
                new = check_visible(email.strip(), "email")
                if await users.email_taken(conn, new, user_id):
                    raise Conflict(TAKEN, reason=Reason.TAKEN)
                token_id = await self._tokens.issue(conn, user_id, Purpose.EMAIL, new)
                await change.record(
                    account_event(EventType.ACCOUNT_VERIFICATION_REQUESTED, user_id, token_id, email=new)
                )
            return await self._accounts.current_profile(conn, user_id)
