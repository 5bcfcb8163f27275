"""Reply notifications by e-mail, through a real SMTP server: opt-in, one e-mail for the replies
that come close together, never for one's own or held replies, stopped in one click."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import httpx
import pytest

from commentsvc.config import Settings
from commentsvc.domain.letters.compose import compose
from commentsvc.domain.letters.postman import Postman
from commentsvc.domain.letters.replies import ReplyLetters
from commentsvc.domain.links import Links
from commentsvc.mail.transport import SmtpRelay
from commentsvc.model.events import Event, EventType
from commentsvc.store import mail as mail_store
from tests.builders import (
    Reader,
    decide,
    eventually,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)
from tests.html_safety import unsafe_parts
from tests.mailbox import Mailbox, Received

ORIGIN = "https://news.example"


async def wanting_replies(client: httpx.AsyncClient, **overrides: object) -> Reader:
    reader = await register(client, **overrides)
    response = await client.put(
        "/api/v1/me/notifications", json={"replies": True, "moderation": "off"}, headers=reader.auth
    )
    assert response.status_code == 200, response.text
    return reader


def unsubscribe_link(received: Received) -> str:
    [url] = re.fullmatch(r"<(.+)>", received.message["List-Unsubscribe"]).groups()  # type: ignore[union-attr]
    return url


async def test_replies_close_together_make_one_email_and_a_later_reply_its_own(client, db, mailbox: Mailbox):
    site, article = await make_site(db, origins=(ORIGIN,)), unique_name("article")
    moderator = await make_moderator(client, db, site)
    response = await client.put(
        f"/api/v1/sites/{site}/articles",
        json={"article": article, "article_title": "Le marché couvert", "article_url": f"{ORIGIN}/marche"},
        headers=moderator.auth,
    )
    assert response.status_code == 200, response.text
    author, other = (
        await wanting_replies(client, display_name="Zoé"),
        await register(client, display_name="Léa"),
    )
    comment = await post_comment(client, author, site, article, "Les halles ouvrent enfin le dimanche.")
    bodies = ["Première réponse", "Deuxième réponse", "Troisième réponse"]
    replies = await asyncio.gather(
        *(post_comment(client, other, site, article, body, parent_id=comment["id"]) for body in bodies)
    )

    [first] = await mailbox.wait_for_kind(author.email, "replies")
    assert first.message["Subject"] == "3 réponses à vos commentaires"
    assert first.message["To"] == f"Zoé <{author.email}>"
    plain, page = first.part("plain"), first.part("html")
    assert all(body in plain and body in page for body in bodies)
    assert "Léa, en réponse à « Les halles ouvrent enfin le dimanche. », sur « Le marché couvert »" in plain
    assert all(f"{ORIGIN}/marche#comment-{reply['id']}" in plain for reply in replies)
    assert first.message["Message-ID"].startswith("<replies.")
    assert first.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_link(first) in plain

    fourth = await post_comment(client, other, site, article, "Quatrième réponse", parent_id=comment["id"])
    # The earlier replies' events come before this one's: once its e-mail is in, theirs made no other.
    received = await mailbox.wait_for_kind(author.email, "replies", 2)
    assert len(received) == 2
    second = received[1]
    assert second.message["Subject"] == "Une réponse à votre commentaire"
    assert "Quatrième réponse" in second.part("plain") and "Première réponse" not in second.part("plain")
    assert f"#comment-{fourth['id']}" in second.part("plain")


async def test_a_reply_is_written_in_the_readers_language(client, db, mailbox: Mailbox):
    site, article = await make_site(db), unique_name("article")
    author, other = (
        await wanting_replies(client, display_name="Sam"),
        await register(client, display_name="Kim"),
    )
    await db.execute("UPDATE users SET language = 'en' WHERE id = $1", author.id)
    comment = await post_comment(client, author, site, article, "Opening hours changed")
    await post_comment(client, other, site, article, "Since when?", parent_id=comment["id"])
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    assert received.message["Subject"] == "A reply to your comment"
    plain = received.part("plain")
    assert plain.startswith("Hello Sam,") and "Kim, replying to “Opening hours changed”" in plain
    # The site never said the article's URL: there is nothing to link to but the unsubscribing.
    assert "#comment-" not in plain


@pytest.mark.parametrize(
    ("accept_language", "subject", "greeting"),
    [
        ("de-CH,de;q=0.9,en;q=0.5", "3 Antworten auf Ihre Kommentare", "Hallo Sam,"),
        ("pl-PL", "3 odpowiedzi na Twoje komentarze", "Dzień dobry, Sam,"),  # Polish "few"
    ],
)
async def test_replies_are_counted_in_the_language_the_reader_registered_in(
    client, db, mailbox: Mailbox, accept_language, subject, greeting
):
    site, article = await make_site(db), unique_name("article")
    client.headers["Accept-Language"] = accept_language
    try:
        author = await wanting_replies(client, display_name="Sam")
    finally:
        del client.headers["Accept-Language"]
    other = await register(client, display_name="Kim")
    comment = await post_comment(client, author, site, article, "Opening hours changed")
    await asyncio.gather(
        *(
            post_comment(client, other, site, article, f"Since when? ({n})", parent_id=comment["id"])
            for n in range(3)
        )
    )
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    assert received.message["Subject"] == subject
    assert received.part("plain").startswith(greeting)


async def test_no_email_for_ones_own_replies(client, db, mailbox: Mailbox):
    site, article = await make_site(db), unique_name("article")
    author, other = await wanting_replies(client), await register(client)
    comment = await post_comment(client, author, site, article)
    await post_comment(client, author, site, article, "Je me réponds à moi-même", parent_id=comment["id"])
    await post_comment(client, other, site, article, "Une vraie réponse", parent_id=comment["id"])
    # Both replies' events are of one article, delivered in order: the second's e-mail comes after
    # the first was dealt with.
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    assert "Une vraie réponse" in received.part("plain")
    assert "moi-même" not in received.part("plain")
    assert received.message["Subject"] == "Une réponse à votre commentaire"


async def test_a_held_reply_is_told_only_once_approved(client, db, mailbox: Mailbox):
    site, article = await make_site(db, moderation="pre", trust_after=1000), unique_name("article")
    moderator = await make_moderator(client, db, site)
    author, other = await wanting_replies(client), await register(client)
    comment = await post_comment(client, author, site, article)
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="approve")
    reply = await post_comment(client, other, site, article, "Réponse à modérer", parent_id=comment["id"])
    assert reply["status"] == "pending"
    [item] = await moderation_queue(client, site, moderator)
    assert item["comment"]["id"] == reply["id"]
    await decide(client, moderator, item["item_id"], action="approve")
    # The reply's creation (held) came before its approval: it made no e-mail of its own.
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    assert "Réponse à modérer" in received.part("plain")


async def test_replies_are_off_until_chosen(client, db, mailbox: Mailbox):
    site, article = await make_site(db), unique_name("article")
    quiet, wanting, other = await register(client), await wanting_replies(client), await register(client)
    untold = await post_comment(client, quiet, site, article)
    told = await post_comment(client, wanting, site, article)
    reply = await post_comment(client, other, site, article, parent_id=untold["id"])
    await post_comment(client, other, site, article, parent_id=told["id"])
    # The later reply's e-mail is in: the earlier reply, of the same article, was dealt with.
    await mailbox.wait_for_kind(wanting.email, "replies")
    assert mailbox.keyed(quiet.email, "replies") == []
    assert not await db.fetchval("SELECT EXISTS (SELECT FROM reply_notices WHERE reply_id = $1)", reply["id"])


async def test_markup_in_a_reply_never_reaches_the_emails_html(client, db, mailbox: Mailbox):
    site, article = await make_site(db), unique_name("article")
    author, other = await wanting_replies(client), await register(client)
    comment = await post_comment(client, author, site, article)
    hostile = (
        '<script>alert(1)</script> [clic](javascript:alert(2)) <img src=x onerror="alert(3)"> '
        '<a href="javascript:alert(4)">lien</a> **gras**'
    )
    await post_comment(client, other, site, article, hostile, parent_id=comment["id"])
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    page = received.part("html")
    body = page[page.index("<body>") + len("<body>") : page.index("</body>")]
    assert unsafe_parts(body) == []
    assert "<strong>gras</strong>" in body and "&lt;script&gt;" in body


async def test_one_click_in_the_email_stops_reply_emails(client, db, mailbox: Mailbox):
    site, article = await make_site(db), unique_name("article")
    author, later, other = (
        await wanting_replies(client),
        await wanting_replies(client),
        await register(client),
    )
    comment = await post_comment(client, author, site, article)
    await post_comment(client, other, site, article, parent_id=comment["id"])
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    link = unsubscribe_link(received)
    assert link in received.part("html").replace("&amp;", "&")

    # Opening the link shows a button; it unsubscribes nothing by itself.
    page = await client.get(link)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post"' in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert await settings_of(client, author) == {"replies": True, "moderation": "off"}

    # What a mail client sends (RFC 8058): the form, no sign-in, no cookie.
    response = await client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200, response.text
    assert await settings_of(client, author) == {"replies": False, "moderation": "off"}

    await post_comment(client, other, site, article, "Plus personne ne lit ?", parent_id=comment["id"])
    later_comment = await post_comment(client, later, site, article)
    await post_comment(client, other, site, article, parent_id=later_comment["id"])
    # The reply after it, of the same article, is told: the one before was dealt with, and not sent.
    await mailbox.wait_for_kind(later.email, "replies")
    assert len(mailbox.keyed(author.email, "replies")) == 1


async def settings_of(client: httpx.AsyncClient, reader: Reader) -> dict:
    response = await client.get("/api/v1/me/notifications", headers=reader.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_erased_readers_comments_bring_no_email(client, db, mailbox: Mailbox):
    site, article = await make_site(db), unique_name("article")
    erased, wanting, other = (
        await wanting_replies(client),
        await wanting_replies(client),
        await register(client),
    )
    gone = await post_comment(client, erased, site, article)
    told = await post_comment(client, wanting, site, article)
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": erased.password}, headers=erased.auth
    )
    assert response.status_code == 204, response.text
    await post_comment(client, other, site, article, parent_id=gone["id"])
    await post_comment(client, other, site, article, parent_id=told["id"])
    # The later reply's e-mail is in: the earlier one, of the same article, was dealt with.
    await mailbox.wait_for_kind(wanting.email, "replies")
    assert mailbox.keyed(erased.email, "replies") == []


async def test_an_event_delivered_again_writes_the_same_letter_and_sends_nothing(
    client, db, mailbox: Mailbox, settings: Settings
):
    site, article = await make_site(db), unique_name("article")
    author, other = await wanting_replies(client), await register(client)
    comment = await post_comment(client, author, site, article)
    reply = await post_comment(client, other, site, article, "Une seule fois", parent_id=comment["id"])
    [received] = await mailbox.wait_for_kind(author.email, "replies")
    row = await db.fetchrow(
        "SELECT id, site_id, occurred_at, data::text AS data FROM events WHERE type = $1 AND data ->> 'id' = $2",
        EventType.COMMENT_CREATED.value,
        str(reply["id"]),
    )
    event = Event(
        row["id"],
        EventType.COMMENT_CREATED,
        row["site_id"],
        site,
        article,
        row["occurred_at"],
        json.loads(row["data"]),
    )
    writer = ReplyLetters(Links(settings), timedelta(seconds=settings.reply_mail_batch_seconds))
    [letter] = await writer.letters(event, db)
    assert received.message["Message-ID"] == f"<{letter.key}@commentsvc.test>"
    assert received.message["Subject"] == letter.subject and "Une seule fois" in letter.text
    # The service records a letter as sent once its relay took it, a moment after it arrives.
    await eventually(lambda: mail_store.was_sent(db, letter.key), "the letter recorded as sent", seconds=10)
    postman = Postman(SmtpRelay(mailbox.url), settings.mail_from)
    await postman.send(letter, db)
    # A letter sent after it arrives after it: the first was not sent again.
    after = compose(
        key=f"test.{unique_name()}",
        to=author.email,
        to_name="x",
        language="fr",
        subject="Après",
        written_at=letter.written_at,
        paragraphs=["Après."],
    )
    await postman.send(after, db)
    received = await mailbox.wait_for(author.email, 3)
    assert [r.message["Subject"] for r in received if not r.key.startswith("account.")] == [
        letter.subject,
        "Après",
    ]
