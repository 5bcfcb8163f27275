"""SQL for host-site SSO: each site's signing secrets and the accounts its tokens made."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from commentsvc.model.sso import HostReader, SsoStatus


def mail_address(users: str) -> str:
    """Where the mail of the account ``users`` (the alias of that table in a query) goes: its own
    address, else (an SSO account) the one its host site gave in its latest token; NULL if none."""
    return f"coalesce({users}.email, (SELECT sa.email FROM sso_accounts sa WHERE sa.user_id = {users}.id))"


async def rotate_secret(conn: asyncpg.Connection, site_id: int, secret: str, grace: timedelta) -> None:
    """``secret`` becomes the site's; the one it replaces stays valid for ``grace``, and those
    replaced longer ago are forgotten."""
    await conn.execute(
        "DELETE FROM sso_secrets WHERE site_id = $1 AND replaced_at <= now() - $2::interval", site_id, grace
    )
    await conn.execute(
        "UPDATE sso_secrets SET replaced_at = now() WHERE site_id = $1 AND replaced_at IS NULL", site_id
    )
    await conn.execute("INSERT INTO sso_secrets (site_id, secret) VALUES ($1, $2)", site_id, secret)


async def valid_secrets(
    conn: asyncpg.Connection, slug: str, grace: timedelta
) -> tuple[int, list[str]] | None:
    """The site's id and the secrets a token may be signed with (the current one first); None
    when there is no such site."""
    row = await conn.fetchrow(
        """SELECT s.id, array(SELECT k.secret FROM sso_secrets k
                              WHERE k.site_id = s.id AND (k.replaced_at IS NULL OR k.replaced_at > now() - $2::interval)
                              ORDER BY k.replaced_at DESC NULLS FIRST) AS secrets
           FROM sites s WHERE s.slug = $1""",
        slug,
        grace,
    )
    return (row["id"], list(row["secrets"])) if row else None


async def status(conn: asyncpg.Connection, site_id: int, grace: timedelta) -> SsoStatus:
    row = await conn.fetchrow(
        """SELECT (SELECT created_at FROM sso_secrets WHERE site_id = $1 AND replaced_at IS NULL) AS since,
                  (SELECT max(replaced_at) + $2::interval FROM sso_secrets
                   WHERE site_id = $1 AND replaced_at > now() - $2::interval) AS previous_until,
                  (SELECT count(*) FROM sso_accounts WHERE site_id = $1) AS accounts""",
        site_id,
        grace,
    )
    return SsoStatus(row["since"], row["previous_until"], row["accounts"])


async def account_of(conn: asyncpg.Connection, site_id: int, subject: str) -> int | None:
    return await conn.fetchval(
        "SELECT user_id FROM sso_accounts WHERE site_id = $1 AND subject = $2", site_id, subject
    )


async def insert_account(
    conn: asyncpg.Connection, site_id: int, reader: HostReader, username: str, display_name: str
) -> int | None:
    """The new account's id, or None when a concurrent first sign-in of the same reader made it
    (its username is derived from the subject, so either insert finds the other's row). The host
    vouches for its reader: the account counts as verified."""
    try:
        async with conn.transaction():  # a savepoint: the caller's transaction goes on either way
            user_id = await conn.fetchval(
                "INSERT INTO users (username, display_name, email_verified) VALUES ($1, $2, true) RETURNING id",
                username,
                display_name,
            )
            await conn.execute(
                """INSERT INTO sso_accounts (user_id, site_id, subject, email, avatar_url, issued_at)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                user_id,
                site_id,
                reader.subject,
                reader.email,
                reader.avatar_url,
                reader.issued_at,
            )
            return user_id
    except asyncpg.UniqueViolationError:
        return None


async def update_account(
    conn: asyncpg.Connection, user_id: int, reader: HostReader, display_name: str | None
) -> None:
    """What the host says of its reader now, unless a newer token already said it (``display_name``
    None: keep the name)."""
    updated = await conn.fetchval(
        """UPDATE sso_accounts SET email = $2, avatar_url = $3, issued_at = $4
           WHERE user_id = $1 AND issued_at <= $4 RETURNING true""",
        user_id,
        reader.email,
        reader.avatar_url,
        reader.issued_at,
    )
    if updated and display_name is not None:
        await conn.execute(
            "UPDATE users SET display_name = $2 WHERE id = $1 AND display_name <> $2", user_id, display_name
        )
