"""Roles: moderator of one site, or admin of all."""

from __future__ import annotations

import asyncpg

from commentsvc.domain.sites import get_site
from commentsvc.errors import Invalid, NotFound
from commentsvc.store import users

ROLES = ("moderator", "admin")


async def _target(
    conn: asyncpg.Connection, username: str, role: str, site_slug: str | None
) -> tuple[int, int | None]:
    if role not in ROLES:
        raise Invalid(f"role: {role!r} is not one of {', '.join(ROLES)}.", field="role")
    if (role == "moderator") != (site_slug is not None):
        raise Invalid("site: a moderator belongs to one site (--site SLUG); an admin to none.", field="site")
    user = await users.get_user_by_username(conn, username)
    if user is None:
        raise NotFound(f"There is no user named {username!r}.")
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
