"""Roles: moderator or owner of one site (an owner moderates it too, and manages its settings,
origins, moderators, webhooks and SSO secret), or admin of all."""

from __future__ import annotations

import asyncpg

from commentsvc.domain.rendering import check_text
from commentsvc.domain.sites import get_site
from commentsvc.errors import Invalid, NotFound
from commentsvc.model.accounts import User
from commentsvc.store import users

ROLES = ("moderator", "owner", "admin")
# The roles held on one site; an admin's is held on none.
SITE_ROLES = ("moderator", "owner")


async def account(conn: asyncpg.Connection, username: str) -> User:
    """The account of this username (compared case-insensitively); NotFound naming ``username``."""
    user = await users.get_user_by_username(conn, check_text(username, "username"))
    if user is None:
        raise NotFound(f"There is no user named {username[:100]!r}.", field="username")
    return user


async def _target(
    conn: asyncpg.Connection, username: str, role: str, site_slug: str | None
) -> tuple[int, int | None]:
    if role not in ROLES:
        raise Invalid(f"role: {role!r} is not one of {', '.join(ROLES)}.", field="role")
    if (role in SITE_ROLES) != (site_slug is not None):
        raise Invalid(
            "site: a moderator or an owner belongs to one site (--site SLUG); an admin to none.", field="site"
        )
    user = await account(conn, username)
    site_id = (await get_site(conn, site_slug)).id if site_slug else None
    return user.id, site_id


async def grant(conn: asyncpg.Connection, username: str, role: str, site_slug: str | None) -> bool:
    """True when the user did not have the role yet."""
    user_id, site_id = await _target(conn, username, role, site_slug)
    return await users.grant_role(conn, user_id, role, site_id)


async def revoke(conn: asyncpg.Connection, username: str, role: str, site_slug: str | None) -> bool:
    """True when the user had the role."""
    user_id, site_id = await _target(conn, username, role, site_slug)
    return await users.revoke_role(conn, user_id, role, site_id)
