"""SQL for the single-use tokens e-mails carry (sql/0014): only their hashes are stored, and a
token is used at most once, by one atomic statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from commentsvc.model.accounts import AccountToken


async def next_id(conn: asyncpg.Connection) -> int:
    """The id the next token will have: its hash is made of it."""
    return await conn.fetchval("SELECT nextval(pg_get_serial_sequence('account_tokens', 'id'))")


async def insert(
    conn: asyncpg.Connection,
    *,
    token_id: int,
    user_id: int,
    purpose: str,
    email: str,
    token_hash: bytes,
    lifetime: timedelta,
) -> None:
    await conn.execute(
        """INSERT INTO account_tokens (id, user_id, purpose, email, token_hash, expires_at)
           OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, now() + $6::interval)""",
        token_id,
        user_id,
        purpose,
        email,
        token_hash,
        lifetime,
    )


async def insert_for_address(
    conn: asyncpg.Connection,
    *,
    token_id: int,
    email: str,
    purpose: str,
    token_hash: bytes,
    lifetime: timedelta,
) -> int | None:
    """A token for the account with this address (compared as the unique index compares them), in
    one statement that costs the same whether there is one or not; the account's id, or None."""
    return await conn.fetchval(
        """INSERT INTO account_tokens (id, user_id, purpose, email, token_hash, expires_at)
           OVERRIDING SYSTEM VALUE
           SELECT $1, id, $3, email, $4, now() + $5::interval FROM users WHERE lower(email) = lower($2)
           RETURNING user_id""",
        token_id,
        email,
        purpose,
        token_hash,
        lifetime,
    )


async def use(
    conn: asyncpg.Connection, token_id: int, token_hash: bytes, purposes: Sequence[str]
) -> AccountToken | None:
    """Spend a live token: of two concurrent uses only one gets it. The account's other live
    tokens of the same purpose are spent with it (an older link must not undo what this did)."""
    row = await conn.fetchrow(
        """WITH used AS (
               UPDATE account_tokens SET used_at = now()
               WHERE id = $1 AND token_hash = $2 AND purpose = ANY($3::text[])
                 AND used_at IS NULL AND expires_at > now()
               RETURNING id, user_id, purpose, email),
           others AS (
               UPDATE account_tokens t SET used_at = now() FROM used
               WHERE t.user_id = used.user_id AND t.purpose = used.purpose AND t.id <> used.id
                 AND t.used_at IS NULL)
           SELECT id, user_id, purpose, email FROM used""",
        token_id,
        token_hash,
        list(purposes),
    )
    return AccountToken(row["id"], row["user_id"], row["purpose"], row["email"]) if row else None


async def get(conn: asyncpg.Connection, token_id: int) -> AccountToken | None:
    row = await conn.fetchrow(
        "SELECT id, user_id, purpose, email FROM account_tokens WHERE id = $1", token_id
    )
    return AccountToken(row["id"], row["user_id"], row["purpose"], row["email"]) if row else None
