"""Moderator alerts: an e-mail when an item enters the queue of a site whose moderator chose
`instant` (at most one in the quiet period), a daily digest for `digest`, none for `off`; the
links they carry open the item and decide nothing until a button is pressed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from commentsvc.domain.letters.digest import Digest
from commentsvc.domain.letters.postman import Postman
from commentsvc.domain.links import Links
from commentsvc.mail.transport import SmtpRelay
from commentsvc.store.pool import create_pool
from tests.builders import eventually, make_moderator, make_site, post_comment, register, unique_name


async def choose(db: asyncpg.Connection, moderator_id: int, alerts: str) -> None:
    # Until GET/PUT /api/v1/me/notifications is merged: the setting as that route stores it.
    await db.execute("UPDATE users SET moderation_alerts = $2 WHERE id = $1", moderator_id, alerts)


async def alerts_delivered(db: asyncpg.Connection, comment_id: int) -> int:
    """Wait until the alerts of the event that opened the comment's item were delivered (sent, or
    found to be none); its event's id."""
    event_id = await db.fetchval(
        """SELECT id FROM events WHERE type IN ('comment.created', 'comment.reported')
           AND (data->>'id')::bigint = $1 ORDER BY id DESC LIMIT 1""",
        comment_id,
    )

    async def done() -> bool:
        return not await db.fetchval(
            "SELECT EXISTS (SELECT FROM event_deliveries WHERE event_id = $1 AND subscriber = 'moderator-mail')",
            event_id,
        )

    await eventually(done, f"the alerts of event {event_id} delivered")
    return event_id


async def test_a_held_comment_alerts_an_instant_moderator_once_with_links_that_decide_it(client, db, mailbox):
    site = await make_site(db, moderation="pre")
    article = unique_name("article")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    await choose(db, moderator.id, "instant")

    comment = await post_comment(client, author, site, article, "Un avis **tranché** <script>x</script>")
    [alert] = await mailbox.wait_for_kind(moderator.email, "alert")
    assert site in alert.message["Subject"]
    assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = alert.part("plain"), alert.part("html")
    assert "1 commentaire attend une décision" in plain
    assert "Retenu : pré-modération" in plain
    assert f"@{author.username}" in plain and article in plain
    assert "<strong>tranché</strong>" in html and "<script" not in html
    links = dict(alert.links())
    assert set(links) >= {"Approuver", "Rejeter", "Ouvrir le tableau de bord"}
    assert links["Ouvrir le tableau de bord"] == "/moderate?lang=fr"

    # A second held comment within the quiet period: its alert is delivered, and is none.
    second = await post_comment(client, author, site, article)
    second_event = await alerts_delivered(db, second["id"])
    first_event = await alerts_delivered(db, comment["id"])
    assert first_event < second_event
    assert await db.fetchval("SELECT alerted_for_event FROM users WHERE id = $1", moderator.id) == first_event
    assert len(mailbox.keyed(moderator.email, "alert")) == 1

    # The link's page shows the comment; its button decides it.
    page = await client.get(links["Approuver"])
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    token = parse_qs(urlsplit(links["Approuver"]).query)["token"][0]
    decided = await client.post(
        "/api/v1/moderation/decisions/by-link", json={"token": token, "action": "approve"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["item"]["decision"]["action"] == "approve"
    assert decided.json()["decided_by"] == moderator.username
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "approved"
    log = await client.get(f"/api/v1/sites/{site}/moderation/log", headers=moderator.auth)
    [entry] = log.json()["entries"]
    assert (entry["action"], entry["comment_id"], entry["actor_id"]) == (
        "approve",
        comment["id"],
        moderator.id,
    )


async def test_a_reported_comment_alerts_with_the_readers_reasons_in_the_moderators_language(
    client, db, mailbox
):
    site = await make_site(db, report_threshold=1)
    article = unique_name("article")
    author, reporter = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    await choose(db, moderator.id, "instant")
    await db.execute("UPDATE users SET language = 'en' WHERE id = $1", moderator.id)
    comment = await post_comment(client, author, site, article, "Achetez ici")
    reported = await client.post(
        f"/api/v1/comments/{comment['id']}/reports",
        json={"reason": "spam", "note": "une pub"},
        headers=reporter.auth,
    )
    assert reported.status_code == 202, reported.text

    [alert] = await mailbox.wait_for_kind(moderator.email, "alert")
    plain = alert.part("plain")
    assert "Reported: spam (“une pub”)." in plain and "Held" not in plain
    assert {"Approve", "Reject", "Open the dashboard"} <= dict(alert.links()).keys()


async def test_moderators_who_chose_off_or_digest_get_no_alert(client, db, mailbox):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    quiet, daily, instant = [await make_moderator(client, db, site) for _ in range(3)]
    await choose(db, daily.id, "digest")
    await choose(db, instant.id, "instant")
    comment = await post_comment(client, author, site, unique_name("article"))
    await alerts_delivered(db, comment["id"])
    await mailbox.wait_for_kind(instant.email, "alert")
    assert mailbox.keyed(quiet.email, "alert") == mailbox.keyed(daily.email, "alert") == []


async def test_a_digest_pass_sends_each_digest_moderator_one_digest_a_day(client, db, mailbox, settings):
    site = await make_site(db, moderation="pre")
    article = unique_name("article")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    idle = await make_moderator(client, db, await make_site(db))  # moderates a site with nothing waiting
    comments = [await post_comment(client, author, site, article, f"Avis numéro {n}") for n in range(2)]
    for reader in (moderator, idle):
        await choose(db, reader.id, "digest")

    pool = await create_pool(settings)
    try:
        digest = Digest(pool, Postman(SmtpRelay(mailbox.url), settings.mail_from), Links(settings))
        await digest.send_due()
        [letter] = await mailbox.wait_for_kind(moderator.email, "digest")
        plain = letter.part("plain")
        assert f"{site} : 2 en attente." in plain
        assert all(f"Avis numéro {n}" in plain for n in range(2))
        assert sum(label.startswith("Décider") for label, _ in letter.links()) == len(comments)
        assert await digest.send_due() == 0  # the same day: none again
    finally:
        await pool.close()
    assert len(mailbox.keyed(moderator.email, "digest")) == 1
    assert mailbox.keyed(idle.email, "digest") == []
    sent_on = await db.fetch(
        "SELECT digest_sent_on = (now() AT TIME ZONE 'UTC')::date AS today FROM users WHERE id = ANY($1::bigint[])",
        [moderator.id, idle.id],
    )
    assert [row["today"] for row in sent_on] == [True, True]


async def test_the_alert_page_is_the_service_s_own_and_never_framed(client: httpx.AsyncClient):
    page = await client.get("/moderate/decide", params={"token": "x"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    script = await client.get("/moderate/decide.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
