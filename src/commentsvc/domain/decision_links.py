"""One-click decisions from e-mail. A moderator's alert or digest links each item to a page that
shows it with approve and reject buttons; opening the link decides nothing (mail scanners follow
links), the button does, through Moderation.decide: the dashboard's one path, applied once, in the
audit log, for the revision the e-mail showed. A link is signed for its moderator and item, in
their language, and expires after LIFETIME."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import asyncpg
import msgspec

from commentsvc.domain.links import Links
from commentsvc.domain.moderation import Moderation
from commentsvc.domain.moderation_views import Item
from commentsvc.errors import Invalid, Reason
from commentsvc.i18n import DEFAULT_LANGUAGE, LANGUAGES
from commentsvc.store import users

PURPOSE = "decide"
LIFETIME = timedelta(days=7)
PAGE = "/moderate/decide"
# What the page's buttons decide: the rest (spam, keep, a ban, a reason) is the dashboard's.
LinkAction = Literal["approve", "reject"]


class Linked(msgspec.Struct, frozen=True):
    """What a decision link is about: the item as its moderator sees it now (with its decision,
    once made), the language the link was written in, and who decided, by username."""

    item: Item
    language: str
    decided_by: str | None


class _Claims(msgspec.Struct, frozen=True):
    item: int
    sub: str
    revision: int
    lang: str


def decision_url(
    links: Links,
    item_id: int,
    revision: int,
    moderator_id: int,
    language: str,
    action: LinkAction | None = None,
) -> str:
    """The page deciding this item, for this moderator; ``action`` is the button it offers first."""
    claims = {"item": item_id, "sub": str(moderator_id), "revision": revision, "lang": language}
    token = links.sign(PURPOSE, claims, LIFETIME)
    return links.url(PAGE, token=token, **({"action": action} if action else {}))


class DecisionLinks:
    def __init__(self, links: Links, moderation: Moderation) -> None:
        self._links = links
        self._moderation = moderation

    async def show(self, conn: asyncpg.Connection, token: str) -> Linked:
        """The item a link is about, deciding nothing."""
        claims = self._read(token)
        item = await self._moderation.item_for(conn, claims.item, int(claims.sub))
        return await self._linked(conn, item, claims)

    async def decide(self, conn: asyncpg.Connection, token: str, action: LinkAction) -> Linked:
        """Decide the link's item as its moderator, once: already decided (from the dashboard, or
        by a second click), the first decision stands and is returned."""
        claims = self._read(token)
        item = await self._moderation.decide(
            conn, claims.item, int(claims.sub), action, None, None, claims.revision
        )
        return await self._linked(conn, item, claims)

    def _read(self, token: str) -> _Claims:
        try:
            claims = msgspec.convert(self._links.read(PURPOSE, token), _Claims)
            int(claims.sub)
        except (msgspec.ValidationError, ValueError):
            raise Invalid("token: this link is not valid.", field="token", reason=Reason.BAD_LINK) from None
        return claims

    async def _linked(self, conn: asyncpg.Connection, item: Item, claims: _Claims) -> Linked:
        decided_by = None
        if item.decision is not None and item.decision.decided_by is not None:
            profile = await users.get_profile(conn, item.decision.decided_by)
            decided_by = profile[0].username if profile else None
        language = claims.lang if claims.lang in LANGUAGES else DEFAULT_LANGUAGE
        return Linked(item, language, decided_by)
