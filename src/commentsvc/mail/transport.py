"""Where messages go: an SMTP relay (COMMENTSVC_SMTP_URL), or, without one, ``.eml`` files under
COMMENTSVC_MAIL_DIR with each message's links in the log, so that development needs no mail server
and a reset link can be clicked from the log."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from commentsvc.config import Settings
from commentsvc.mail.message import Undeliverable
from commentsvc.model.mail import Letter

log = logging.getLogger("commentsvc.mail")

SMTP_TIMEOUT_SECONDS = 30.0
_FILE_NAME = re.compile(r"[^A-Za-z0-9.\-_]")


class Transport(Protocol):
    async def send(self, letter: Letter, message: EmailMessage) -> None:
        """Hand the message on; raising ``Undeliverable`` means it never can be, raising anything
        else that it may be later."""


class SmtpRelay:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self._implicit_tls = parts.scheme == "smtps"
        self._starttls = query.get("starttls", ["false"])[0].lower() == "true"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._implicit_tls else 587 if self._starttls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None

    async def send(self, letter: Letter, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._implicit_tls,
                # Said, not guessed: a relay that offers no STARTTLS when asked for is an error.
                start_tls=self._starttls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= refusal.code < 600 for refusal in exc.recipients):
                raise Undeliverable(f"the relay refuses {letter.to!r} for good: {exc}") from None
            raise


class MailFiles:
    def __init__(self, directory: str) -> None:
        self._directory = Path(directory)

    async def send(self, letter: Letter, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, letter, message)
        log.info(
            "mail to %s: %s%s", letter.to, letter.subject, "".join(f"\n  {link}" for link in letter.links)
        )

    def _write(self, letter: Letter, message: EmailMessage) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        name = f"{letter.written_at:%Y%m%dT%H%M%S}-{_FILE_NAME.sub('-', letter.key)}.eml"
        partial = self._directory / f".{name}.partial"
        partial.write_bytes(message.as_bytes())
        os.replace(partial, self._directory / name)  # whole or not there


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url is not None:
        return SmtpRelay(settings.smtp_url)
    return MailFiles(settings.mail_dir)
