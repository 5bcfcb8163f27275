"""SQL for refresh tokens: stored as hashes, grouped in families (one per sign-in)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from commentsvc.model.accounts import Session, SpentToken, TokenState


async def insert_token(
    conn: asyncpg.Connection, *, token_hash: bytes, family_id: uuid.UUID, user_id: int, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        family_id,
        user_id,
        expires_at,
    )


async def spend_token(conn: asyncpg.Connection, token_hash: bytes) -> SpentToken | None:
    """Mark a live token spent, atomically: of two concurrent uses only one gets a row."""
    row = await conn.fetchrow(
        """UPDATE refresh_tokens SET spent_at = now()
           WHERE token_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()
           RETURNING user_id, family_id""",
        token_hash,
    )
    return SpentToken(row["user_id"], row["family_id"]) if row else None


async def live_successor(
    conn: asyncpg.Connection, token_hash: bytes, successor_hash: bytes, grace: timedelta
) -> SpentToken | None:
    """The token's family when the token was spent less than ``grace`` ago and its successor
    is still live: a refresh racing the one that spent it, not a replay."""
    row = await conn.fetchrow(
        """SELECT s.user_id, s.family_id
           FROM refresh_tokens t JOIN refresh_tokens s ON s.token_hash = $2 AND s.family_id = t.family_id
           WHERE t.token_hash = $1 AND t.spent_at > now() - $3::interval AND t.revoked_at IS NULL
             AND s.spent_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > now()""",
        token_hash,
        successor_hash,
        grace,
    )
    return SpentToken(row["user_id"], row["family_id"]) if row else None


async def token_state(conn: asyncpg.Connection, token_hash: bytes) -> TokenState | None:
    row = await conn.fetchrow(
        "SELECT family_id, spent_at IS NOT NULL AS spent, revoked_at IS NOT NULL AS revoked "
        "FROM refresh_tokens WHERE token_hash = $1",
        token_hash,
    )
    return TokenState(row["family_id"], row["spent"], row["revoked"]) if row else None


async def revoke_family(conn: asyncpg.Connection, family_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )


async def list_sessions(conn: asyncpg.Connection, user_id: int) -> list[Session]:
    rows = await conn.fetch(
        """SELECT min(created_at) AS started_at, max(created_at) AS last_refreshed_at,
                  max(expires_at) AS expires_at,
                  bool_or(spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()) AS active
           FROM refresh_tokens WHERE user_id = $1
           GROUP BY family_id ORDER BY started_at""",
        user_id,
    )
    return [Session(r["started_at"], r["last_refreshed_at"], r["expires_at"], r["active"]) for r in rows]


async def revoke_sessions(conn: asyncpg.Connection, user_id: int, keep: uuid.UUID | None = None) -> None:
    """Revoke every sign-in of the account but ``keep``'s (all of them without one)."""
    await conn.execute(
        """UPDATE refresh_tokens SET revoked_at = now()
           WHERE user_id = $1 AND revoked_at IS NULL AND family_id IS DISTINCT FROM $2""",
        user_id,
        keep,
    )
