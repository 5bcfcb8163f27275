"""The letter telling the author of an appealed comment what became of their appeal: reinstated
or upheld, with the deciding moderator's reason. Sent whatever the author's notification
settings: it answers a request of theirs, like the account's own e-mails (no unsubscribe link)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from commentsvc.domain.letters.compose import Action, Quote, compose
from commentsvc.domain.letters.postman import MailSubscriber, Postman
from commentsvc.domain.letters.texts import say
from commentsvc.model.appeals import AppealStatus
from commentsvc.model.events import Event, EventType
from commentsvc.model.mail import Letter
from commentsvc.store import appeals as store

NAME = "appeal-mail"
TYPES = frozenset({EventType.APPEAL_DECIDED})


class AppealLetters:
    """The LetterWriter of appeals' outcomes."""

    async def letters(self, event: Event, conn: asyncpg.Connection) -> Sequence[Letter]:
        told = await store.decided(conn, event.data["id"])
        if told is None:
            return []
        outcome = AppealStatus(event.data["outcome"])
        lang = told.recipient.language
        article = told.article_title or told.article_key
        paragraphs = [say(lang, f"appeal_{outcome}", site=told.site, article=article)]
        if told.reason:
            paragraphs.append(say(lang, "appeal_reason", reason=told.reason))
        # A reinstated comment is on its page again (when the site said where the page is).
        read = (
            [Action(say(lang, "appeal_read"), f"{told.article_url}#comment-{told.comment_id}")]
            if outcome is AppealStatus.REINSTATED and told.article_url
            else []
        )
        return [
            compose(
                key=f"appeal.{event.id}",
                to=told.recipient.email,
                to_name=told.recipient.display_name,
                language=lang,
                subject=say(lang, f"appeal_{outcome}_subject", site=told.site),
                written_at=event.occurred_at,
                paragraphs=paragraphs,
                quotes=[Quote(say(lang, "appeal_quoted"), told.body, told.body_html)],
                actions=read,
            )
        ]


def appeal_mail(postman: Postman) -> MailSubscriber:
    return MailSubscriber(NAME, TYPES, AppealLetters(), postman)
