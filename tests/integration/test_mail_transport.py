"""Letters leave once each, through a real SMTP server (STARTTLS and AUTH included) or, without
one, as .eml files with their links in the log."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import UTC, datetime

import asyncpg
import pytest

from commentsvc.domain.letters.compose import Action, Quote, compose
from commentsvc.domain.letters.postman import Postman
from commentsvc.mail.message import message
from commentsvc.mail.transport import MailFiles, SmtpRelay
from tests.builders import unique_name
from tests.mailbox import Mailbox

SENDER = "commentsvc <no-reply@commentsvc.test>"


def a_letter(to: str, **overrides: object):
    parts = dict(
        key=f"test.{unique_name()}",
        to=to,
        to_name="Zoé",
        language="fr",
        subject="Une réponse",
        written_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        paragraphs=["Quelqu'un vous a répondu."],
        quotes=[Quote("Léa", "Bien vu !", "<p>Bien vu !</p>")],
        actions=[Action("Lire la réponse", "https://example.org/article#c1")],
        unsubscribe="http://commentsvc.test/unsubscribe?token=t",
    )
    parts.update(overrides)
    return compose(**parts)  # type: ignore[arg-type]


async def test_a_letter_goes_through_starttls_and_auth_to_a_real_server(tmp_path, monkeypatch, db):
    box = Mailbox(tls_dir=tmp_path, login=("relay-user", "relay pass"))
    box.start()
    try:
        # OpenSSL's own variable: the relay's certificate is of an authority made for the test.
        monkeypatch.setenv("SSL_CERT_FILE", str(box.ca_file))
        postman = Postman(SmtpRelay(box.url.replace("relay pass", "relay%20pass")), SENDER)
        to = f"{unique_name()}@example.org"
        letter = a_letter(to)
        await postman.send(letter, db)
        [received] = await box.wait_for(to)
        assert received.message["Subject"] == "Une réponse"
        assert received.message["Message-ID"] == f"<{letter.key}@commentsvc.test>"
        assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Bien vu !" in received.part("plain") and "Bien vu !" in received.part("html")
    finally:
        box.stop()


async def test_the_wrong_password_is_refused_and_nothing_is_marked_sent(tmp_path, monkeypatch, db):
    box = Mailbox(tls_dir=tmp_path, login=("relay-user", "right"))
    box.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(box.ca_file))
        postman = Postman(SmtpRelay(box.url.replace(":right@", ":wrong@")), SENDER)
        letter = a_letter(f"{unique_name()}@example.org")
        with pytest.raises(Exception, match="(?i)auth"):
            await postman.send(letter, db)
        assert not await db.fetchval(
            "SELECT EXISTS (SELECT FROM mail_sent WHERE message_id = $1)", letter.key
        )
    finally:
        box.stop()


async def test_a_letter_sent_is_never_sent_again(mailbox: Mailbox, db: asyncpg.Connection):
    postman = Postman(SmtpRelay(mailbox.url), SENDER)
    to = f"{unique_name()}@example.org"
    letter = a_letter(to)
    await postman.send(letter, db)
    await postman.send(letter, db)
    await mailbox.wait_for(to)
    second = a_letter(to, key=letter.key + ".other")
    await postman.send(second, db)
    received = await mailbox.wait_for(to, 2)
    assert [r.message["Message-ID"] for r in received] == [
        f"<{letter.key}@commentsvc.test>",
        f"<{second.key}@commentsvc.test>",
    ]


async def test_without_a_relay_mail_is_a_file_and_its_links_are_logged(tmp_path, db, caplog):
    postman = Postman(MailFiles(str(tmp_path / "mail")), SENDER)
    letter = a_letter("reader@example.org")
    with caplog.at_level(logging.INFO, logger="commentsvc.mail"):
        await postman.send(letter, db)
    [written] = (tmp_path / "mail").glob("*.eml")
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "Zoé <reader@example.org>"
    assert "https://example.org/article#c1" in caplog.text
    assert "http://commentsvc.test/unsubscribe?token=t" in caplog.text


def test_line_breaks_in_a_name_or_a_subject_never_make_a_header():
    letter = a_letter(
        "reader@example.org",
        to_name="Eve\r\nBcc: victim@example.org",
        subject="Hi\nX-Injected: yes\u2028Z",
    )
    raw = message(letter, SENDER).as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in headers and b"\r\nX-Injected:" not in headers
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None


def test_a_readers_markup_in_a_letter_is_escaped_and_its_html_sanitised():
    letter = a_letter(
        "reader@example.org",
        to_name='<img src=x onerror="alert(1)">',
        quotes=[
            Quote(
                "<b>Mallory</b>", "x", '<p>ok</p><script>alert(1)</script><a href="javascript:alert(1)">y</a>'
            )
        ],
        actions=[Action("Go", "javascript:alert(2)")],
    )
    assert "<img" not in letter.html and "<script" not in letter.html and "javascript:" not in letter.html
    assert "&lt;img" in letter.html and "&lt;b&gt;Mallory" in letter.html
