"""The daily digest: once a day (UTC), each moderator who chose `digest` gets one e-mail listing
what awaits a decision on the sites they moderate, the oldest items each with its one-click link
(nothing waiting: no e-mail). Every process runs this small task; each digest is claimed by one of
them, and stays due if sending it fails."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time

import asyncpg

from commentsvc.background import stop_tasks
from commentsvc.domain.decision_links import LIFETIME, decision_url
from commentsvc.domain.letters.alerts import items_with_comments, quote
from commentsvc.domain.letters.compose import Action, compose
from commentsvc.domain.letters.postman import Postman
from commentsvc.domain.letters.texts import say
from commentsvc.domain.letters.unsubscribe import Kind, unsubscribe_url
from commentsvc.domain.links import Links
from commentsvc.errors import DatabaseUnavailable
from commentsvc.model.alerts import Moderator
from commentsvc.model.mail import Letter
from commentsvc.store import alerts
from commentsvc.store.pool import connection

log = logging.getLogger("commentsvc.mail")

# Items listed in one digest, the oldest first; the rest are counted, and in the dashboard.
LISTED = 10
# How often each process looks for digests due: a new day's go out within this.
WAKE_SECONDS = 300.0


class Digest:
    def __init__(self, pool: asyncpg.Pool, postman: Postman, links: Links) -> None:
        self._pool = pool
        self._postman = postman
        self._links = links
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="commentsvc-digest")

    async def stop(self) -> None:
        await stop_tasks(self._task)

    async def send_due(self) -> int:
        """One pass: every digest due today, each marked sent in the transaction that sends it;
        how many were sent."""
        sent = 0
        async with connection(self._pool) as conn:
            while True:
                async with conn.transaction():
                    due = await alerts.next_digest(conn)
                    if due is None:
                        return sent
                    letter = await self._letter(conn, *due)
                    if letter is not None:
                        await self._postman.send(letter, conn)
                        sent += 1

    async def _run(self) -> None:
        while True:
            try:
                await self.send_due()
            except DatabaseUnavailable as exc:
                log.warning("mail: digests wait for PostgreSQL: %r", exc.__cause__)
            except Exception:
                log.exception("mail: sending the digests failed; tried again at the next pass")
            await asyncio.sleep(WAKE_SECONDS)

    async def _letter(self, conn: asyncpg.Connection, moderator: Moderator, day: date) -> Letter | None:
        queues = await alerts.queues(conn, moderator.id)
        if not queues:
            return None
        listed = await items_with_comments(
            conn, await alerts.oldest_open(conn, [queue.site_id for queue in queues], LISTED)
        )
        lang = moderator.language
        return compose(
            key=f"digest.{moderator.id}.{day.isoformat()}",
            to=moderator.email,
            to_name=moderator.display_name,
            language=lang,
            subject=say(lang, "digest_subject"),
            written_at=datetime.combine(day, time(), UTC),
            paragraphs=[
                say(lang, "digest_intro"),
                *(say(lang, "digest_site", site=queue.name, count=queue.waiting) for queue in queues),
                say(lang, "digest_oldest", days=LIFETIME.days),
            ],
            quotes=[quote(row, comment, lang, n) for n, (row, comment) in enumerate(listed, 1)],
            actions=[
                *(
                    Action(
                        say(lang, "decide", n=n),
                        decision_url(self._links, row.id, row.revision, moderator.id, lang),
                    )
                    for n, (row, _) in enumerate(listed, 1)
                ),
                Action(say(lang, "dashboard"), self._links.url("/moderate", lang=lang)),
            ],
            unsubscribe=unsubscribe_url(self._links, moderator.id, Kind.MODERATION),
        )
