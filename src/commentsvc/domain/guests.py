"""Guests claimed: an imported author without an account here (a guest, sql/0021) is the reader
who proves they own the address the old system knew the guest by. The claim is a subscriber of
account.email_verified, written with the verification; each article whose comments changed
hands says so with article.guests_claimed, which refreshes its cached pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from commentsvc.domain.events import ChangingSubscriber
from commentsvc.model.events import AccountChange, Event, EventType, GuestsClaimed, NewEvent
from commentsvc.store import guests


class GuestClaims(ChangingSubscriber):
    """Claims the guests of every site with the verified address (a site's import cannot tell
    readers apart better than their address does). Claiming twice claims nothing more, and the
    order of two claims does not matter: delivered at commit, so the reader's next page shows
    their comments as theirs."""

    name: ClassVar[str] = "guest-claims"
    types: ClassVar[frozenset[EventType]] = frozenset({EventType.ACCOUNT_EMAIL_VERIFIED})

    async def deliver(self, events: Sequence[Event], conn: asyncpg.Connection) -> None:
        for event in events:
            verified = AccountChange(**event.data)
            if verified.email is None:
                continue
            async with self.dispatcher().transaction(conn) as change:
                moved = await guests.claim(conn, verified.user_id, verified.email)
                await change.record(
                    *(NewEvent(EventType.ARTICLE_GUESTS_CLAIMED, site_id, article_id, GuestsClaimed(verified.user_id, n))
                      for site_id, article_id, n in moved)
                )  # fmt: skip
