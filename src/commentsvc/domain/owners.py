"""Site owners: a site's settings, origins, moderators and SSO secret, changed by its owners (or
an admin) rather than at the command line. The settings are checked by the same structure as the
command line's (model.sites.SiteSettings), which the owners' form is also made from. Each change
is in the site's audit log with what it changed, never a secret; a request that changes nothing
writes nothing."""

from __future__ import annotations

from typing import Any, Literal

import asyncpg
import msgspec

from commentsvc.domain import sso
from commentsvc.domain.roles import account
from commentsvc.domain.sites import check_change, check_slug, normalise_origin
from commentsvc.errors import Forbidden, Invalid, NotFound
from commentsvc.model.accounts import SiteRole
from commentsvc.model.events import SITE_TYPES
from commentsvc.model.sites import NAME_LENGTH, SETTINGS, Site, SiteSettings
from commentsvc.model.sso import SsoStatus
from commentsvc.store import moderation, sites, users

NOT_AN_OWNER = "Only the site's owners (and the service's admins) manage it."
LAST_ORIGIN = (
    "origin: a site keeps at least one origin (its widget loads nowhere else); add the new one first."
)
# How each kind of setting is told to a form.
Kind = Literal["text", "integer", "number", "boolean", "choice", "words"]
_KINDS: dict[type, Kind] = {int: "integer", float: "number", bool: "boolean", str: "choice", list: "words"}
_DEFAULTS = SiteSettings()


class SettingField(msgspec.Struct, frozen=True):
    """A setting as a form shows it: what it is, what it may be, and its default."""

    name: str
    kind: Kind
    description: str
    default: Any  # None: the site's name, whose default is its slug
    minimum: int | None  # both ends included: a number's value, a text's length
    maximum: int | None
    choices: list[str]  # for a choice


# The site's name, then each setting in the structure's order: the form is made from these,
# never from a list of its own.
FIELDS = [
    SettingField(
        name="name",
        kind="text",
        description="the site's name, as moderators see it",
        default=None,
        minimum=NAME_LENGTH.minimum,
        maximum=NAME_LENGTH.maximum,
        choices=[],
    ),
    *(
        SettingField(
            name=setting.name,
            kind=_KINDS[setting.kind],
            description=setting.description,
            default=getattr(_DEFAULTS, setting.name),
            minimum=setting.range.minimum if setting.range else None,
            maximum=setting.range.maximum if setting.range else None,
            choices=list(setting.choices),
        )
        for setting in SETTINGS.values()
    ),
]
WEBHOOK_EVENTS = sorted(SITE_TYPES)


class OwnedSite(msgspec.Struct, frozen=True):
    """A site as its owners manage it, with what its forms are made from (``fields``, the event
    types a webhook may take)."""

    site: str
    name: str
    settings: SiteSettings
    origins: list[str]
    fields: list[SettingField]
    webhook_events: list[str]


class NewSsoSecret(msgspec.Struct, frozen=True):
    secret: str  # shown this once
    status: SsoStatus


def _owned(site: Site) -> OwnedSite:
    return OwnedSite(site.slug, site.name, _as_set(site.settings), site.origins, FIELDS, WEBHOOK_EVENTS)


def _as_set(settings: SiteSettings) -> SiteSettings:
    """The settings as they were given: a ratio is stored as a 4-byte float (0.3 comes back as
    0.30000001…), which a form would show and a change would take for a new value."""
    rounded = {
        name: float(f"{getattr(settings, name):.6g}") for name, s in SETTINGS.items() if s.kind is float
    }
    return msgspec.structs.replace(settings, **rounded)


async def owned_site(conn: asyncpg.Connection, slug: str, caller: int, for_update: bool = False) -> Site:
    """The site, if ``caller`` owns it (or is an admin): the one place that decides who manages a
    site. ``for_update``: locked for the caller's transaction, for a change made from it."""
    site = await sites.get_site(conn, check_slug(slug), for_update)
    if site is None:
        raise NotFound(f"There is no site named {slug!r}.")
    if not await users.owns(conn, caller, site.id):
        raise Forbidden(NOT_AN_OWNER)
    return site


async def settings(conn: asyncpg.Connection, slug: str, caller: int) -> OwnedSite:
    return _owned(await owned_site(conn, slug, caller))


async def change_settings(
    conn: asyncpg.Connection, slug: str, caller: int, change: dict[str, object]
) -> OwnedSite:
    """Set the site's name and settings ``change`` names; Invalid, naming the first value that is
    not allowed, changes nothing. The audit entry holds each setting that changed, before and after."""
    if not change:
        raise Invalid("Nothing to change: give the name or a setting.")
    async with conn.transaction():
        site = await owned_site(conn, slug, caller, for_update=True)
        unknown = [name for name in change if name != "name" and name not in SETTINGS]
        if unknown:
            raise Invalid(f"{unknown[0]} is not a site setting.", field=unknown[0])
        checked = check_change(change)
        now = {"name": site.name, **msgspec.structs.asdict(_as_set(site.settings))}
        changed = {name: value for name, value in checked.items() if value != now[name]}
        if not changed:
            return _owned(site)
        updated = await sites.update_site(conn, site.slug, changed)
        await moderation.record(
            conn,
            site_id=site.id,
            actor_id=caller,
            action="settings",
            change={name: [now[name], value] for name, value in changed.items()},
        )
    return _owned(updated or site)


async def add_origin(conn: asyncpg.Connection, slug: str, caller: int, origin: str) -> OwnedSite:
    """The origin (normalised as the command line does) joins the site's; one it has already
    changes nothing."""
    async with conn.transaction():
        site = await owned_site(conn, slug, caller, for_update=True)
        added = normalise_origin(origin)
        if added in site.origins:
            return _owned(site)
        checked = check_change({"origins": [*site.origins, added]})
        updated = await sites.update_site(conn, site.slug, checked)
        await moderation.record(
            conn, site_id=site.id, actor_id=caller, action="origin_add", change={"origin": added}
        )
    return _owned(updated or site)


async def remove_origin(conn: asyncpg.Connection, slug: str, caller: int, origin: str) -> OwnedSite:
    async with conn.transaction():
        site = await owned_site(conn, slug, caller, for_update=True)
        removed = normalise_origin(origin)
        if removed not in site.origins:
            raise NotFound(f"{removed} is not an origin of this site.", field="origin")
        if len(site.origins) == 1:
            raise Invalid(LAST_ORIGIN, field="origin")
        kept = [known for known in site.origins if known != removed]
        updated = await sites.update_site(conn, site.slug, {"origins": kept})
        await moderation.record(
            conn, site_id=site.id, actor_id=caller, action="origin_remove", change={"origin": removed}
        )
    return _owned(updated or site)


async def moderators(conn: asyncpg.Connection, slug: str, caller: int) -> list[SiteRole]:
    """Who moderates the site by a role of its own: its moderators and owners."""
    return await users.site_roles(conn, (await owned_site(conn, slug, caller)).id)


async def grant_moderator(conn: asyncpg.Connection, slug: str, caller: int, username: str) -> list[SiteRole]:
    """The account of ``username`` moderates the site (already did: nothing changes)."""
    async with conn.transaction():
        site = await owned_site(conn, slug, caller)
        user = await account(conn, username)
        if await users.grant_role(conn, user.id, "moderator", site.id):
            await moderation.record(
                conn, site_id=site.id, actor_id=caller, action="moderator_grant", target_user_id=user.id
            )
        return await users.site_roles(conn, site.id)


async def revoke_moderator(conn: asyncpg.Connection, slug: str, caller: int, username: str) -> None:
    """Takes the moderator role back (an owner stays an owner: that role is the operator's to give)."""
    async with conn.transaction():
        site = await owned_site(conn, slug, caller)
        user = await account(conn, username)
        if not await users.revoke_role(conn, user.id, "moderator", site.id):
            raise NotFound(f"{user.username} is not a moderator of this site.", field="username")
        await moderation.record(
            conn, site_id=site.id, actor_id=caller, action="moderator_revoke", target_user_id=user.id
        )


async def sso_status(conn: asyncpg.Connection, slug: str, caller: int) -> SsoStatus:
    site = await owned_site(conn, slug, caller)
    return await sso.status(conn, site.slug)


async def rotate_sso_secret(conn: asyncpg.Connection, slug: str, caller: int) -> NewSsoSecret:
    """A new SSO secret, shown this once; the one it replaces works for 24 more hours."""
    async with conn.transaction():
        site = await owned_site(conn, slug, caller, for_update=True)
        secret = await sso.rotate_secret(conn, site.slug)
        await moderation.record(conn, site_id=site.id, actor_id=caller, action="sso_rotate")
        return NewSsoSecret(secret, await sso.status(conn, site.slug))
