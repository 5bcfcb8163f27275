"""A letter as an RFC 5322 message: plain text and HTML, headers that no reader's text can break."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from commentsvc.model.mail import Letter

# Line breaks of every kind, and other control characters: a header is one line, whatever a
# display name or a title holds.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_KEY = re.compile(r"[^A-Za-z0-9.\-_]")


class Undeliverable(ValueError):
    """The letter's address cannot be written in a message (it never could be: not retried)."""


def message(letter: Letter, sender: str) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    try:
        msg["To"] = Address(display_name=one_line(letter.to_name), addr_spec=letter.to)
    except (ValueError, IndexError) as exc:
        raise Undeliverable(f"cannot address a message to {letter.to!r}: {exc}") from None
    msg["Subject"] = one_line(letter.subject)
    msg["Date"] = format_datetime(letter.written_at)
    msg["Message-ID"] = message_id(letter.key, sender)
    msg["Content-Language"] = letter.language
    # Automatic mail: no out-of-office answer back (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    if letter.unsubscribe is not None:
        msg["List-Unsubscribe"] = f"<{letter.unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(letter.text)
    msg.add_alternative(letter.html, subtype="html")
    return msg


def message_id(key: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{_KEY.sub('-', key)}@{domain}>"


def one_line(text: str) -> str:
    return _BREAKS.sub(" ", text).strip()
