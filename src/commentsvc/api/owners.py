"""A site's owners (and the service's admins) manage it: its name and settings, origins,
moderators and SSO secret (its webhooks: api/webhooks.py). Every route: 403 for anyone else."""

from __future__ import annotations

from typing import Annotated, get_args

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from commentsvc.api.deps import Caller, Conn
from commentsvc.api.errors import error_responses
from commentsvc.api.moderation import SITE
from commentsvc.api.security import requires_user
from commentsvc.domain import owners
from commentsvc.domain.owners import NewSsoSecret, OwnedSite
from commentsvc.model.accounts import SiteRole
from commentsvc.model.sites import NAME_LENGTH, SETTINGS, Setting
from commentsvc.model.sso import SsoStatus

ORIGIN = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="scheme://host[:port]")]
# Longer than any username: a local one is at most 32 characters, a host site's reader's 76.
MAX_USERNAME = 100
USERNAME = Annotated[
    str, PathParameter(min_length=1, max_length=MAX_USERNAME, description="The account's username.")
]


def _changed(setting: Setting) -> tuple[str, object, object]:
    """A field of the settings' change: of the setting's kind, its range checked by the domain
    (which answers the command line's sentence, naming the setting)."""
    base = get_args(setting.annotation)[0]
    meta = msgspec.Meta(description=f"{setting.description} ({setting.allowed})")
    return setting.name, Annotated[base | msgspec.UnsetType, meta], msgspec.UNSET


# Made from the settings' structure (model.sites.SETTINGS): a new setting is a new field here.
SettingsChange = msgspec.defstruct(
    "SettingsChange",
    [
        (
            "name",
            Annotated[
                str | msgspec.UnsetType,
                msgspec.Meta(description=f"the site's name ({NAME_LENGTH} characters)"),
            ],
            msgspec.UNSET,
        ),
        *(_changed(setting) for setting in SETTINGS.values()),
    ],
    kw_only=True,
    forbid_unknown_fields=True,
    module=__name__,
)


class OriginIn(msgspec.Struct, forbid_unknown_fields=True):
    origin: ORIGIN


class ModeratorIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_USERNAME)]


class ModeratorsOut(msgspec.Struct):
    moderators: list[SiteRole]


class SiteOwnersController(Controller):
    path = "/api/v1/sites/{site:str}"
    tags = ["owners"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @get("/settings", responses=error_responses(400, 401, 403, 404, 503))
    async def settings(self, site: SITE, principal: Caller, conn: Conn) -> OwnedSite:
        """The site's name, settings and origins, with what each setting may be (`fields`, from
        which a form is made) and the event types a webhook may take."""
        return await owners.settings(conn, site, principal.user_id)

    @patch("/settings", responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def change_settings(
        self, site: SITE, data: JSONBody[SettingsChange], principal: Caller, conn: Conn
    ) -> OwnedSite:
        """Change the name and the settings given (the others stay as they are), checked as
        `commentsvc site update` checks them: a value a setting may not take is a 400 naming it,
        and nothing changes. The audit log says what changed (`settings`)."""
        change = {
            name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET
        }
        return await owners.change_settings(conn, site, principal.user_id, change)

    @post("/origins", responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def add_origin(
        self, site: SITE, data: JSONBody[OriginIn], principal: Caller, conn: Conn
    ) -> OwnedSite:
        """Allow an origin to embed the widget and call the site's API (`origin_add`; takes up to
        10 s to apply). One the site has already changes nothing."""
        return await owners.add_origin(conn, site, principal.user_id, data.origin)

    @delete("/origins", status_code=200, responses=error_responses(400, 401, 403, 404, 503))
    async def remove_origin(
        self,
        site: SITE,
        principal: Caller,
        conn: Conn,
        origin: Annotated[
            str, QueryParameter(min_length=1, max_length=2000, description="The origin to remove.")
        ],
    ) -> OwnedSite:
        """Stop allowing an origin (`origin_remove`); the last one stays (400)."""
        return await owners.remove_origin(conn, site, principal.user_id, origin)

    @get("/moderators", responses=error_responses(400, 401, 403, 404, 503))
    async def moderators(self, site: SITE, principal: Caller, conn: Conn) -> ModeratorsOut:
        """The site's moderators and owners (admins moderate every site and are not listed)."""
        return ModeratorsOut(await owners.moderators(conn, site, principal.user_id))

    @post("/moderators", responses=error_responses(400, 401, 403, 404, 413, 415, 503))
    async def grant_moderator(
        self, site: SITE, data: JSONBody[ModeratorIn], principal: Caller, conn: Conn
    ) -> ModeratorsOut:
        """Make an account a moderator of the site, by its username (`moderator_grant`)."""
        return ModeratorsOut(await owners.grant_moderator(conn, site, principal.user_id, data.username))

    @delete("/moderators/{username:str}", responses=error_responses(400, 401, 403, 404, 503))
    async def revoke_moderator(self, site: SITE, username: USERNAME, principal: Caller, conn: Conn) -> None:
        """Take the moderator role back (`moderator_revoke`); an owner stays an owner."""
        await owners.revoke_moderator(conn, site, principal.user_id, username)

    @get("/sso", responses=error_responses(400, 401, 403, 404, 503))
    async def sso(self, site: SITE, principal: Caller, conn: Conn) -> SsoStatus:
        """Whether the site has an SSO secret and since when; never the secret."""
        return await owners.sso_status(conn, site, principal.user_id)

    @post("/sso/secret", responses=error_responses(400, 401, 403, 404, 503))
    async def rotate_sso_secret(self, site: SITE, principal: Caller, conn: Conn) -> NewSsoSecret:
        """A new SSO secret, shown only here (`sso_rotate`): the previous one works for 24 more hours."""
        return await owners.rotate_sso_secret(conn, site, principal.user_id)
