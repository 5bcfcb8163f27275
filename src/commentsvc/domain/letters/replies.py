"""Reply notifications: the author of a comment hears by e-mail of the published replies to it
(if they chose to), several at once when they come close together.

Each event that publishes a reply (a reply posted approved, or a held one approved) falls due
``window`` after it happened. Its letter then tells of every reply to the same recipient that
events published from it until ``window`` after it and that no letter told yet (reply_notices,
sql/0015): a reply is told once, in the first letter that falls due after it. An event whose
reply was told already (or is no longer published) makes no letter. The letter's key comes from
its first event, and it says the replies claimed for that key, so a retry after a failure part-way
sends the same letter, and only once.

The recipient's address is written to whether or not it is verified: the reader asked for these
e-mails themselves, signed in to their account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from commentsvc.domain.letters.compose import Action, Quote, compose
from commentsvc.domain.letters.postman import MailSubscriber, Postman
from commentsvc.domain.letters.texts import say, say_count
from commentsvc.domain.letters.unsubscribe import Kind, unsubscribe_url
from commentsvc.domain.links import Links
from commentsvc.model.events import Event, EventType
from commentsvc.model.mail import Letter
from commentsvc.model.notifications import NoticedReply, RepliesToTell
from commentsvc.store import replies as store

NAME = "reply-mail"
# The events that can publish a reply; those that do say status "approved".
PUBLISHING = frozenset({EventType.COMMENT_CREATED, EventType.COMMENT_APPROVED})
# How much of the recipient's own comment a letter recalls, to say which one is answered.
EXCERPT_CHARACTERS = 80


class ReplyLetters:
    """The LetterWriter of reply notifications."""

    def __init__(self, links: Links, window: timedelta) -> None:
        self._links = links
        self._window = window

    async def letters(self, event: Event, conn: asyncpg.Connection) -> Sequence[Letter]:
        if event.data["parent_id"] is None or event.data["status"] != "approved":
            return []
        reply_id = event.data["id"]
        recipient_id = await store.recipient_of(conn, reply_id)
        if recipient_id is None:
            return []
        key = f"replies.{event.id}.{recipient_id}"
        until = event.occurred_at + self._window
        await store.notice(conn, key, recipient_id, reply_id, event.id, until, sorted(PUBLISHING))
        told = await store.noticed(conn, key)
        return [self._letter(key, event, told)] if told is not None else []

    def _letter(self, key: str, event: Event, told: RepliesToTell) -> Letter:
        recipient, replies = told.recipient, told.replies
        language = recipient.language
        return compose(
            key=key,
            to=recipient.email,
            to_name=recipient.display_name,
            language=language,
            subject=say_count(language, "replies_subject", len(replies)),
            written_at=event.occurred_at,
            paragraphs=[say_count(language, "replies_intro", len(replies))],
            quotes=[_quote(language, reply) for reply in replies],
            actions=[
                Action(say(language, "reply_read", author=_author(language, reply)), url)
                for reply in replies
                if (url := _url(reply)) is not None
            ],
            unsubscribe=unsubscribe_url(self._links, recipient.id, Kind.REPLIES),
        )


def reply_mail(postman: Postman, links: Links, window: timedelta) -> MailSubscriber:
    """The subscriber that sends reply notifications, each event held back for ``window``."""
    return MailSubscriber(
        NAME, PUBLISHING, ReplyLetters(links, window), postman, delay=window, wants=[{"status": "approved"}]
    )


def _quote(language: str, reply: NoticedReply) -> Quote:
    heading = say(
        language,
        "reply_heading",
        author=_author(language, reply),
        answers=_excerpt(reply.answers),
        article=reply.article_title or reply.article_key,
        site=reply.site,
    )
    return Quote(heading, reply.body, reply.body_html)


def _author(language: str, reply: NoticedReply) -> str:
    return reply.author if reply.author is not None else say(language, "anonymous")


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARACTERS else flat[: EXCERPT_CHARACTERS - 1].rstrip() + "…"


def _url(reply: NoticedReply) -> str | None:
    """Where the reply is read: its article's page as the site stored it (its URL is on one of the
    site's origins), with the reply's anchor (which the widget does not act on yet), or nowhere
    when the site never said the page's URL."""
    return f"{reply.article_url}#comment-{reply.id}" if reply.article_url else None
