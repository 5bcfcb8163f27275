"""The single-use tokens that account e-mails carry. A token is ``<id>.<MAC of its purpose and
id>``, the MAC made with a key derived from the service's secret: the letter that carries it
derives it again from the id its event names, so a retried delivery sends the same message, and
the database keeps only a hash of it (nothing there can be used as a link)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

import asyncpg

from commentsvc.errors import Invalid, Reason
from commentsvc.model.accounts import AccountToken
from commentsvc.store import account_tokens as store

BAD_LINK = "token: this link is not valid, or no longer is (used or expired); ask for a new one."


class Purpose(StrEnum):
    VERIFY = "verify"  # the account's address is the reader's
    RESET = "reset"  # a forgotten password
    EMAIL = "email"  # a new address, which becomes the account's once proved


LIFETIMES = {
    Purpose.VERIFY: timedelta(hours=48),
    Purpose.RESET: timedelta(hours=1),
    Purpose.EMAIL: timedelta(hours=48),
}


class AccountTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, purpose: Purpose, token_id: int) -> str:
        mac = hmac.digest(self._key, f"{purpose.value}|{token_id}".encode(), "sha256")
        return f"{token_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    async def issue(self, conn: asyncpg.Connection, user_id: int, purpose: Purpose, email: str) -> int:
        """A new token for ``email`` (within the caller's transaction); its id, for the event."""
        token_id = await store.next_id(conn)
        await store.insert(
            conn,
            token_id=token_id,
            user_id=user_id,
            purpose=purpose.value,
            email=email,
            token_hash=_hash(self.token(purpose, token_id)),
            lifetime=LIFETIMES[purpose],
        )
        return token_id

    async def issue_for_address(
        self, conn: asyncpg.Connection, email: str, purpose: Purpose
    ) -> tuple[int, int] | None:
        """A new token for the account with this address, if any: (account id, token id). The
        same work either way, so that the time taken does not tell whether there is one."""
        token_id = await store.next_id(conn)
        user_id = await store.insert_for_address(
            conn,
            token_id=token_id,
            email=email,
            purpose=purpose.value,
            token_hash=_hash(self.token(purpose, token_id)),
            lifetime=LIFETIMES[purpose],
        )
        return (user_id, token_id) if user_id is not None else None

    def check(self, token: str, purposes: Sequence[Purpose]) -> int:
        """The id of a token this service made for one of ``purposes``; Invalid otherwise (no
        database work for a forged one)."""
        token_id = _id_of(token)
        if token_id is None or not any(
            hmac.compare_digest(self.token(purpose, token_id), token) for purpose in purposes
        ):
            raise Invalid(BAD_LINK, field="token", reason=Reason.BAD_LINK)
        return token_id

    async def use(self, conn: asyncpg.Connection, token: str, purposes: Sequence[Purpose]) -> AccountToken:
        """Spend the token, once; Invalid when it is forged, used, expired or of another purpose."""
        token_id = self.check(token, purposes)
        used = await store.use(conn, token_id, _hash(token), [p.value for p in purposes])
        if used is None:
            raise Invalid(BAD_LINK, field="token", reason=Reason.BAD_LINK)
        return used


def _id_of(token: str) -> int | None:
    head, dot, _ = token.partition(".")
    if not dot or not head.isascii() or not head.isdigit() or len(head) > 18:
        return None
    return int(head)


def _hash(token: str) -> bytes:
    # 256 bits of MAC: a fast hash is enough, there is nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()
