"""SQL for identities at providers, and for the password-less accounts made by signing in with one."""

from __future__ import annotations

import asyncpg

from commentsvc.model.identities import Linked, ProviderIdentity


async def owner(conn: asyncpg.Connection, provider: str, subject: str) -> int | None:
    """The account the identity is linked to, marked as used now."""
    return await conn.fetchval(
        """UPDATE identities SET last_used_at = now() WHERE provider = $1 AND subject = $2
           RETURNING user_id""",
        provider,
        subject,
    )


async def account_with_email(conn: asyncpg.Connection, email: str) -> int | None:
    """Compared as the users' unique index compares addresses."""
    return await conn.fetchval("SELECT id FROM users WHERE lower(email) = lower($1)", email)


async def insert_account(
    conn: asyncpg.Connection,
    *,
    username: str,
    email: str,
    email_verified: bool,
    display_name: str,
    language: str,
) -> int | None:
    """A new account without a password, or None when the username or address is taken."""
    return await conn.fetchval(
        """INSERT INTO users (username, email, email_verified, display_name, language, password_hash)
           VALUES ($1, $2, $3, $4, $5, NULL)
           ON CONFLICT DO NOTHING
           RETURNING id""",
        username,
        email,
        email_verified,
        display_name,
        language,
    )


async def link(conn: asyncpg.Connection, user_id: int, identity: ProviderIdentity) -> Linked:
    """Tie the identity to the account; an identity already tied to one stays with it (returned)."""
    row = await conn.fetchrow(
        """WITH added AS (
               INSERT INTO identities (provider, subject, user_id, email, email_verified)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (provider, subject) DO NOTHING
               RETURNING user_id)
           SELECT user_id FROM added
           UNION ALL
           SELECT user_id FROM identities WHERE provider = $1 AND subject = $2
           LIMIT 1""",
        identity.provider,
        identity.subject,
        user_id,
        identity.email,
        identity.email_verified,
    )
    if row is None:  # tied by a concurrent sign-in, committed after this statement's snapshot
        owner_id = await conn.fetchval(
            "SELECT user_id FROM identities WHERE provider = $1 AND subject = $2",
            identity.provider,
            identity.subject,
        )
        return Linked(owner_id, identity.provider, identity.subject)
    return Linked(row["user_id"], identity.provider, identity.subject)


async def of_user(conn: asyncpg.Connection, user_id: int) -> list[Linked]:
    rows = await conn.fetch(
        "SELECT provider, subject FROM identities WHERE user_id = $1 ORDER BY provider, linked_at", user_id
    )
    return [Linked(user_id, row["provider"], row["subject"]) for row in rows]
