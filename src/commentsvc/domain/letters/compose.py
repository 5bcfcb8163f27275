"""A letter's parts from what it says: the plain text, and HTML that escapes every value and
then passes the sanitiser comments pass (no reader's text can add markup or a link)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

import msgspec

from commentsvc.domain.letters.texts import say
from commentsvc.domain.rendering import sanitise
from commentsvc.model.mail import Letter


class Quote(msgspec.Struct, frozen=True):
    """A comment quoted in a letter: its author, its Markdown source (for the plain text) and
    its rendered HTML."""

    author: str
    text: str
    html: str


class Action(msgspec.Struct, frozen=True):
    """A link the reader follows to do something (reset, verify, decide, read)."""

    label: str
    url: str


def compose(
    *,
    key: str,
    to: str,
    to_name: str,
    language: str,
    subject: str,
    written_at: datetime,
    paragraphs: Sequence[str],
    quotes: Sequence[Quote] = (),
    actions: Sequence[Action] = (),
    unsubscribe: str | None = None,
) -> Letter:
    greeting = say(language, "greeting", name=to_name)
    colon = say(language, "colon")
    closing = [say(language, "automatic")]
    if unsubscribe is not None:
        closing.insert(0, say(language, "unsubscribe", url=unsubscribe))
    text = "\n\n".join(
        [
            greeting,
            *paragraphs,
            *(f"{quote.author}{colon.rstrip()}\n" + _quoted(quote.text) for quote in quotes),
            *(f"{action.label}{colon}{action.url}" for action in actions),
            "-- ",
            *closing,
        ]
    )
    fragment = "".join(
        [
            _p(greeting),
            *(_p(paragraph) for paragraph in paragraphs),
            *(
                f"<blockquote><p><strong>{html.escape(quote.author)}</strong></p>{quote.html}</blockquote>"
                for quote in quotes
            ),
            *(
                f'<p><a href="{html.escape(action.url)}"><strong>{html.escape(action.label)}</strong></a></p>'
                for action in actions
            ),
            "<hr>",
            *(
                [
                    f'<p><a href="{html.escape(unsubscribe)}">{html.escape(say(language, "unsubscribe_link"))}</a></p>'
                ]
                if unsubscribe is not None
                else []
            ),
            _p(say(language, "automatic")),
        ]
    )
    document = (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>{sanitise(fragment)}</body></html>"
    )
    links = tuple(action.url for action in actions) + ((unsubscribe,) if unsubscribe else ())
    return Letter(
        key=key,
        to=to,
        to_name=to_name,
        language=language,
        subject=subject,
        text=text,
        html=document,
        written_at=written_at,
        links=links,
        unsubscribe=unsubscribe,
    )


def _p(text: str) -> str:
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def _quoted(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())
