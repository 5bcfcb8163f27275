"""Registering, listing and removing a site's webhooks. Only the site's owners and the service's
admins may (domain.owners decides who that is); the command line speaks for the operator, who may
too. What an account changes is in the site's audit log (the operator's commands are not)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg

from commentsvc.domain.owners import owned_site
from commentsvc.domain.rendering import check_text
from commentsvc.domain.sites import get_site, web_url
from commentsvc.domain.webhooks.signing import new_secret
from commentsvc.errors import Invalid, NotFound
from commentsvc.model.events import SITE_TYPES
from commentsvc.model.sites import Site
from commentsvc.model.webhooks import NewWebhook, Webhook
from commentsvc.store import moderation
from commentsvc.store import webhooks as store
from commentsvc.webhooks.addresses import ForbiddenAddress, check_host

MAX_URL = 2000


def _said_briefly(types: Iterable[str]) -> str:
    """The types, those of one kind together (``comment.{approved,created}``): a refusal that names
    them all stays one short sentence however many there are."""
    kinds: dict[str, list[str]] = {}
    for kind, _, name in sorted(t.partition(".") for t in types):
        kinds.setdefault(kind, []).append(name)
    return ", ".join(
        f"{kind}.{names[0]}" if len(names) == 1 else f"{kind}.{{{','.join(names)}}}"
        for kind, names in kinds.items()
    )


EVENT_TYPES = _said_briefly(SITE_TYPES)


async def _administered(conn: asyncpg.Connection, slug: str, caller: int | None) -> Site:
    """The site, if ``caller`` may manage its webhooks (None: the operator, at the command line)."""
    return await get_site(conn, slug) if caller is None else await owned_site(conn, slug, caller)


def check_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise Invalid(f"events: name at least one event type, of {EVENT_TYPES}.", field="events")
    for event in events:
        if event not in SITE_TYPES:
            raise Invalid(f"events: {event!r} is not one of {EVENT_TYPES}.", field="events")
    return sorted(set(events))


class Webhooks:
    """``allow_private``: URLs may name loopback, private and link-local addresses."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private

    async def check_url(self, url: str) -> str:
        """The URL as it will be posted to; Invalid naming ``url`` for anything but an absolute
        http(s) URL without credentials whose host is (or resolves to) a public address."""
        try:
            parsed = web_url(check_text(url, "url"))
        except ValueError:
            raise Invalid(
                f"url: {url[:100]!r} is not an absolute http(s) URL without credentials.", field="url"
            ) from None
        if len(parsed.href) > MAX_URL:
            raise Invalid(f"url: at most {MAX_URL} characters.", field="url")
        if not self._allow_private:
            try:
                await check_host(parsed.hostname)
            except ForbiddenAddress as exc:
                raise Invalid(f"url: {exc}; a webhook must reach a public address.", field="url") from None
            except OSError as exc:
                raise Invalid(f"url: {parsed.hostname} does not resolve ({exc}).", field="url") from None
        return parsed.href

    async def add(
        self, conn: asyncpg.Connection, slug: str, url: str, events: Sequence[str], caller: int | None
    ) -> NewWebhook:
        site = await _administered(conn, slug, caller)
        checked = check_events(events)
        checked_url = await self.check_url(url)
        async with conn.transaction():
            added = await store.insert(conn, site.id, checked_url, checked, new_secret())
            if caller is not None:
                change = {"webhook": added.id, "url": added.url, "events": added.events}
                await moderation.record(
                    conn, site_id=site.id, actor_id=caller, action="webhook_add", change=change
                )
        return added

    async def listing(self, conn: asyncpg.Connection, slug: str, caller: int | None) -> list[Webhook]:
        return await store.of_site(conn, (await _administered(conn, slug, caller)).id)

    async def remove(self, conn: asyncpg.Connection, slug: str, webhook_id: int, caller: int | None) -> None:
        """The webhook and its deliveries, those still to make included."""
        site = await _administered(conn, slug, caller)
        async with conn.transaction():
            removed = await store.delete(conn, site.id, webhook_id)
            if removed is None:
                raise NotFound(f"Site {slug!r} has no webhook {webhook_id}.")
            if caller is not None:
                change = {"webhook": webhook_id, "url": removed}
                await moderation.record(
                    conn, site_id=site.id, actor_id=caller, action="webhook_remove", change=change
                )
