"""Instant moderator alerts: a moderator of a site (or an admin: they moderate every site) who
chose `instant` hears of an item entering its queue, at most once every
COMMENTSVC_MODERATOR_ALERT_SECONDS, with the item and one-click links to decide it. Also how an
item reads in a letter, which the daily digest (digest.py) shares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from commentsvc.domain.decision_links import LIFETIME, LinkAction, decision_url
from commentsvc.domain.letters.compose import Action, Quote, compose
from commentsvc.domain.letters.texts import rule_said, say, say_count
from commentsvc.domain.letters.unsubscribe import Kind, unsubscribe_url
from commentsvc.domain.links import Links
from commentsvc.domain.moderation_views import holding
from commentsvc.domain.queue_feed import OPENING, opens
from commentsvc.model.alerts import Moderator
from commentsvc.model.comments import StoredComment
from commentsvc.model.events import Event, EventType
from commentsvc.model.mail import Letter
from commentsvc.model.moderation import StoredItem
from commentsvc.store import alerts, comments, moderation, sites

NAME = "moderator-mail"
# An import's held comments are old news: the daily digest counts them, no alert goes out.
TYPES = OPENING - {EventType.ARTICLE_IMPORTED}


class AlertWriter:
    """The alerts an event opening a moderation item makes (a LetterWriter)."""

    def __init__(self, links: Links, quiet: timedelta) -> None:
        self._links = links
        self._quiet = quiet

    async def letters(self, event: Event, conn: asyncpg.Connection) -> Sequence[Letter]:
        if not opens(event) or event.site_id is None:
            return ()
        item_id = await alerts.open_item_of(conn, event.data["id"])
        site = await sites.get_site_by_id(conn, event.site_id)
        if item_id is None or site is None:
            return ()  # decided (or its site deleted) before the alert could go: nothing to say
        moderators = await alerts.alerted(conn, site.id, event.id, self._quiet)
        if not moderators:
            return ()
        [(row, comment)] = await items_with_comments(conn, [item_id])
        count = await alerts.waiting(conn, site.id)
        return [self._letter(event, site.name, row, comment, count, moderator) for moderator in moderators]

    def _letter(
        self,
        event: Event,
        site: str,
        row: StoredItem,
        comment: StoredComment,
        count: int,
        moderator: Moderator,
    ) -> Letter:
        lang = moderator.language

        def link(action: LinkAction) -> str:
            return decision_url(self._links, row.id, row.revision, moderator.id, lang, action)

        minutes = math.ceil(self._quiet.total_seconds() / 60)
        return compose(
            key=f"alert.{event.id}.{moderator.id}",
            to=moderator.email,
            to_name=moderator.display_name,
            language=lang,
            subject=say(lang, "alert_subject", site=site),
            written_at=event.occurred_at,
            paragraphs=[
                say_count(lang, "waiting", count, site=site),
                *why(row, lang),
                say(lang, "alert_rhythm", days=LIFETIME.days, minutes=minutes),
            ],
            quotes=[quote(row, comment, lang)],
            actions=[
                Action(say(lang, "approve"), link("approve")),
                Action(say(lang, "reject"), link("reject")),
                Action(say(lang, "dashboard"), self._links.url("/moderate", lang=lang)),
            ],
            unsubscribe=unsubscribe_url(self._links, moderator.id, Kind.MODERATION),
        )


async def items_with_comments(
    conn: asyncpg.Connection, item_ids: list[int]
) -> list[tuple[StoredItem, StoredComment]]:
    """The items, each with its comment as its moderators see it (the source included)."""
    rows = await moderation.items(conn, item_ids)
    return [(row, await comments.get_one(conn, row.comment_id, None, True)) for row in rows]


def quote(row: StoredItem, comment: StoredComment, lang: str, n: int | None = None) -> Quote:
    """The comment, under whose it is and on which article (numbered ``n`` in a list)."""
    author = (
        f"{comment.author_display_name} (@{comment.author_username})"
        if comment.author_id is not None
        else say(lang, "erased_author")
    )
    label = say(lang, "quoted", author=author, article=row.article_title or row.article_key)
    if n is not None:
        label = say(lang, "numbered", n=n, quoted=label)
    return Quote(label, comment.body or "", comment.body_html)


def why(row: StoredItem, lang: str) -> list[str]:
    """Why the item is before a moderator: the rules that held its comment, with what each found
    (as the dashboard shows them), readers' reports."""
    said = []
    rules = [
        finding
        for finding in holding(row.kind, row.held_because, row.held_findings, row.reports)
        if finding.rule != "reports"
    ]
    if rules:
        said.append(say(lang, "held", why=say(lang, "list").join(rule_said(lang, f) for f in rules)))
    if row.reports:
        reports = [
            say(lang, "report_note", reason=say(lang, f"report_{report.reason}"), note=report.note)
            if report.note
            else say(lang, f"report_{report.reason}")
            for report in row.reports
        ]
        said.append(say(lang, "reported", reports=say(lang, "list").join(reports)))
    return said
