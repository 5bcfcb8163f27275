"""A reader's choice of notification e-mails: read and set signed in, or stopped from a link in
one of them (RFC 8058 one-click, no sign-in: the signed token says who and what)."""

from __future__ import annotations

import asyncpg
import msgspec

from commentsvc.domain.accounts import ACCOUNT_GONE
from commentsvc.domain.letters.unsubscribe import Kind, unsubscribing
from commentsvc.domain.links import Links
from commentsvc.errors import Reason, Unauthorized
from commentsvc.i18n import DEFAULT_LANGUAGE
from commentsvc.model.notifications import AlertsChoice, NotificationSettings
from commentsvc.store import notifications as store

# What each kind of notification's one-click link sets: (replies, moderation); None leaves it.
_STOPPED: dict[Kind, tuple[bool | None, AlertsChoice | None]] = {
    Kind.REPLIES: (False, None),
    Kind.MODERATION: (None, AlertsChoice.OFF),
}


class Unsubscribing(msgspec.Struct, frozen=True):
    """What a link stops, and the language to say it in (its account's, or the default once the
    account is gone)."""

    kind: Kind
    language: str


async def settings_of(conn: asyncpg.Connection, user_id: int) -> NotificationSettings:
    settings = await store.settings_of(conn, user_id)
    if settings is None:
        raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
    return settings


async def choose(
    conn: asyncpg.Connection, user_id: int, chosen: NotificationSettings
) -> NotificationSettings:
    """Anyone may choose moderation alerts; only moderators get them."""
    settings = await store.change(conn, user_id, chosen.replies, chosen.moderation)
    if settings is None:
        raise Unauthorized(ACCOUNT_GONE, reason=Reason.ACCOUNT_GONE)
    return settings


async def unsubscribing_from(conn: asyncpg.Connection, links: Links, token: str) -> Unsubscribing:
    """What the link would stop; nothing changes (mail scanners follow links)."""
    user_id, kind = unsubscribing(links, token)
    return Unsubscribing(kind, await store.language_of(conn, user_id) or DEFAULT_LANGUAGE)


async def unsubscribe(conn: asyncpg.Connection, links: Links, token: str) -> Unsubscribing:
    """Stop the kind of e-mail the link names. Again, or for an account erased since, it is done
    all the same: there is nothing left to send."""
    user_id, kind = unsubscribing(links, token)
    await store.change(conn, user_id, *_STOPPED[kind])
    return Unsubscribing(kind, await store.language_of(conn, user_id) or DEFAULT_LANGUAGE)
