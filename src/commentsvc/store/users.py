"""SQL for reader accounts and their roles."""

from __future__ import annotations

import asyncpg

from commentsvc.model.accounts import Credentials, Role, SiteRole, User

# An SSO account's address is the one its host site gave (store.sso).
_USER_COLUMNS = (
    "id, username, display_name, "
    "coalesce(email, (SELECT sa.email FROM sso_accounts sa WHERE sa.user_id = users.id)) AS email, created_at, "
    "email_verified, language"
)
# A host site's readers sign in through it only, whatever password or address they may get.
_SIGNS_IN_WITH_PASSWORD = "NOT EXISTS (SELECT FROM sso_accounts sa WHERE sa.user_id = users.id)"


def _user(row: asyncpg.Record) -> User:
    return User(
        row["id"],
        row["username"],
        row["display_name"],
        row["email"],
        row["created_at"],
        row["email_verified"],
        row["language"],
    )


async def insert_user(
    conn: asyncpg.Connection,
    *,
    username: str,
    email: str,
    display_name: str,
    password_hash: str,
    language: str,
) -> User | None:
    """The new user, or None when the username or email is taken (case-insensitively)."""
    row = await conn.fetchrow(
        f"""INSERT INTO users (username, email, display_name, password_hash, language)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            RETURNING {_USER_COLUMNS}""",
        username,
        email,
        display_name,
        password_hash,
        language,
    )
    return _user(row) if row else None


async def usernames_looking_like(conn: asyncpg.Connection, *keys: str) -> set[str]:
    """Which of these look-alike keys (domain.names) an existing username has: one index probe."""
    rows = await conn.fetch(
        "SELECT DISTINCT username_skeleton FROM users WHERE username_skeleton = ANY($1::text[])", list(keys)
    )
    return {row["username_skeleton"] for row in rows}


async def get_profile(conn: asyncpg.Connection, user_id: int) -> tuple[User, list[Role]] | None:
    """A user and their roles, in one round trip."""
    row = await conn.fetchrow(
        f"""SELECT {_USER_COLUMNS},
                   array(SELECT r.role FROM user_roles r LEFT JOIN sites s ON s.id = r.site_id
                         WHERE r.user_id = users.id ORDER BY r.role, s.slug) AS role_names,
                   array(SELECT s.slug FROM user_roles r LEFT JOIN sites s ON s.id = r.site_id
                         WHERE r.user_id = users.id ORDER BY r.role, s.slug) AS role_sites
            FROM users WHERE id = $1""",
        user_id,
    )
    if row is None:
        return None
    return _user(row), [
        Role(role, site) for role, site in zip(row["role_names"], row["role_sites"], strict=True)
    ]


async def get_user_by_username(conn: asyncpg.Connection, username: str) -> User | None:
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS} FROM users WHERE lower(username) = lower($1)", username
    )
    return _user(row) if row else None


async def credentials_by_username(conn: asyncpg.Connection, username: str) -> Credentials | None:
    """``username`` already lower-cased ASCII: compared as is, PostgreSQL's lower() of a
    non-ASCII letter (İ gives i) never takes part."""
    row = await conn.fetchrow(
        f"SELECT id, password_hash FROM users WHERE lower(username) = $1 AND {_SIGNS_IN_WITH_PASSWORD}",
        username,
    )
    return Credentials(row["id"], row["password_hash"]) if row else None


async def credentials_by_email(conn: asyncpg.Connection, email: str) -> Credentials | None:
    """Compared as the unique index compares addresses, so one address reaches one account."""
    row = await conn.fetchrow(
        f"SELECT id, password_hash FROM users WHERE lower(email) = lower($1) AND {_SIGNS_IN_WITH_PASSWORD}",
        email,
    )
    return Credentials(row["id"], row["password_hash"]) if row else None


async def get_password_hash(conn: asyncpg.Connection, user_id: int) -> str | None:
    return await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)


async def set_password_hash(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def get_user(conn: asyncpg.Connection, user_id: int) -> User | None:
    row = await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1", user_id)
    return _user(row) if row else None


async def email_taken(conn: asyncpg.Connection, email: str, user_id: int) -> bool:
    """Whether another account than ``user_id`` has this address (compared as the unique index does)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT FROM users WHERE lower(email) = lower($1) AND id <> $2)", email, user_id
    )


async def set_display_name(conn: asyncpg.Connection, user_id: int, display_name: str) -> None:
    await conn.execute("UPDATE users SET display_name = $2 WHERE id = $1", user_id, display_name)


async def verify_email(conn: asyncpg.Connection, user_id: int, email: str) -> bool:
    """Mark the account's address verified, if it still is ``email``."""
    status = await conn.execute(
        "UPDATE users SET email_verified = true WHERE id = $1 AND lower(email) = lower($2)", user_id, email
    )
    return status.endswith(" 1")


async def change_email(conn: asyncpg.Connection, user_id: int, email: str) -> str | None:
    """Make ``email`` the account's address, verified; the address it had, or None when another
    account has taken ``email`` meanwhile (or the account is gone)."""
    try:
        async with conn.transaction():  # a savepoint: the caller's transaction goes on either way
            return await conn.fetchval(
                """UPDATE users u SET email = $2, email_verified = true
                   FROM users old WHERE old.id = u.id AND u.id = $1
                   RETURNING old.email""",
                user_id,
                email,
            )
    except asyncpg.UniqueViolationError:
        return None


async def delete_user(conn: asyncpg.Connection, user_id: int) -> bool:
    return await conn.fetchval("DELETE FROM users WHERE id = $1 RETURNING true", user_id) is not None


async def moderates(conn: asyncpg.Connection, user_id: int, site_id: int) -> bool:
    """Whether the user is a moderator of the site, or an admin."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM user_roles WHERE user_id = $1 AND (role = 'admin' OR site_id = $2))""",
        user_id,
        site_id,
    )


async def owns(conn: asyncpg.Connection, user_id: int, site_id: int) -> bool:
    """Whether the user is an owner of the site, or an admin."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM user_roles
                          WHERE user_id = $1 AND (role = 'admin' OR (role = 'owner' AND site_id = $2)))""",
        user_id,
        site_id,
    )


async def site_roles(conn: asyncpg.Connection, site_id: int) -> list[SiteRole]:
    """Who moderates the site by a role of that site (admins moderate every site and are not listed)."""
    rows = await conn.fetch(
        """SELECT u.id AS user_id, u.username, u.display_name, r.role, r.granted_at
           FROM user_roles r JOIN users u ON u.id = r.user_id
           WHERE r.site_id = $1 ORDER BY lower(u.username), r.role""",
        site_id,
    )
    return [SiteRole(**dict(row)) for row in rows]


async def is_admin(conn: asyncpg.Connection, user_id: int) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM user_roles WHERE user_id = $1 AND role = 'admin')", user_id
    )


async def user_exists(conn: asyncpg.Connection, user_id: int) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", user_id)


async def grant_role(conn: asyncpg.Connection, user_id: int, role: str, site_id: int | None) -> bool:
    """True when the role was new."""
    status = await conn.execute(
        "INSERT INTO user_roles (user_id, role, site_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        user_id,
        role,
        site_id,
    )
    return status.endswith(" 1")


async def revoke_role(conn: asyncpg.Connection, user_id: int, role: str, site_id: int | None) -> bool:
    """True when the user had the role."""
    status = await conn.execute(
        "DELETE FROM user_roles WHERE user_id = $1 AND role = $2 AND site_id IS NOT DISTINCT FROM $3",
        user_id,
        role,
        site_id,
    )
    return status.endswith(" 1")
