"""Deciding from an e-mailed link: its page shows the item and decides nothing; its button decides
once, through the dashboard's path, even racing the dashboard; a link altered, expired, or of a
moderator who no longer moderates the site is refused, and nothing changes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx
import pytest

from commentsvc.domain.decision_links import PURPOSE, decision_url
from commentsvc.domain.links import Links
from commentsvc.domain.roles import revoke
from tests.builders import Reader, make_moderator, make_site, post_comment, register, unique_name

BY_LINK = "/api/v1/moderation/decisions/by-link"


@dataclass
class Held:
    """A pre-moderated site, its moderator, an author's held comment and its open item (as stored)."""

    site: str
    moderator: Reader
    author: Reader
    comment: dict
    item: dict


async def held_item(client: httpx.AsyncClient, db: asyncpg.Connection) -> Held:
    site = await make_site(db, moderation="pre")
    moderator, author = await make_moderator(client, db, site), await register(client)
    comment = await post_comment(client, author, site, unique_name("article"), "À vérifier")
    item = await db.fetchrow(
        "SELECT id, opened_revision AS revision FROM moderation_items WHERE comment_id = $1", comment["id"]
    )
    return Held(site, moderator, author, comment, dict(item))


def token_for(settings, held: Held, language: str = "fr") -> str:
    """The token of the link the held item's moderator is e-mailed."""
    url = decision_url(Links(settings), held.item["id"], held.item["revision"], held.moderator.id, language)
    return httpx.URL(url).params["token"]


async def log_of(client: httpx.AsyncClient, site: str, moderator: Reader) -> list[dict]:
    response = await client.get(f"/api/v1/sites/{site}/moderation/log", headers=moderator.auth)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def untouched(db: asyncpg.Connection, held: Held) -> bool:
    """Nothing decided: the item open, the comment held, nothing in the audit log."""
    row = await db.fetchrow(
        """SELECT i.decision, c.status, (SELECT count(*) FROM audit_log WHERE comment_id = c.id) AS logged
           FROM moderation_items i JOIN comments c ON c.id = i.comment_id WHERE i.id = $1""",
        held.item["id"],
    )
    return (row["decision"], row["status"], row["logged"]) == (None, "pending", 0)


async def test_opening_the_link_shows_the_item_and_decides_nothing(client, db, settings):
    held = await held_item(client, db)
    token = token_for(settings, held, "en")
    for _ in range(2):  # a mail scanner, then the moderator
        assert (await client.get("/moderate/decide", params={"token": token})).status_code == 200
        shown = await client.get(BY_LINK, params={"token": token})
        assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    linked = shown.json()
    assert linked["language"] == "en" and linked["decided_by"] is None
    assert linked["item"]["comment"]["body_html"] == "<p>À vérifier</p>"
    assert linked["item"]["held_because"] == ["pre_moderation"] and linked["item"]["decision"] is None
    assert await untouched(db, held)


async def test_a_second_click_returns_the_first_decision_and_who_made_it(client, db, settings):
    held = await held_item(client, db)
    token = token_for(settings, held)
    first = await client.post(BY_LINK, json={"token": token, "action": "reject"})
    second = await client.post(BY_LINK, json={"token": token, "action": "approve"})
    assert first.status_code == second.status_code == 200, second.text
    assert (
        first.json()["item"]["decision"]["action"] == second.json()["item"]["decision"]["action"] == "reject"
    )
    assert second.json()["decided_by"] == held.moderator.username
    assert [entry["action"] for entry in await log_of(client, held.site, held.moderator)] == ["reject"]
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", held.comment["id"]) == "rejected"


@pytest.mark.parametrize("link_action", ["approve", "reject"])
async def test_the_link_and_the_dashboard_deciding_at_once_make_one_decision(
    client, db, settings, link_action
):
    dashboard_action = "reject" if link_action == "approve" else "approve"
    for _ in range(3):
        held = await held_item(client, db)
        colleague = await make_moderator(client, db, held.site)
        by_link, by_dashboard = await asyncio.gather(
            client.post(BY_LINK, json={"token": token_for(settings, held), "action": link_action}),
            client.post(
                f"/api/v1/moderation/items/{held.item['id']}/decision",
                json={"action": dashboard_action},
                headers=colleague.auth,
            ),
        )
        assert by_link.status_code == by_dashboard.status_code == 200, (by_link.text, by_dashboard.text)
        decision = by_link.json()["item"]["decision"]
        assert decision == by_dashboard.json()["decision"]
        [entry] = await log_of(client, held.site, held.moderator)
        assert (entry["action"], entry["actor_id"]) == (decision["action"], decision["decided_by"])
        status = await db.fetchval("SELECT status FROM comments WHERE id = $1", held.comment["id"])
        assert status == {"approve": "approved", "reject": "rejected"}[decision["action"]]


async def test_an_altered_or_expired_link_is_refused_and_changes_nothing(client, db, settings):
    held = await held_item(client, db)
    token = token_for(settings, held)
    claims = {
        "item": held.item["id"],
        "sub": str(held.moderator.id),
        "revision": held.item["revision"],
        "lang": "fr",
    }
    expired = Links(settings).sign(PURPOSE, claims, timedelta(seconds=-1))
    header, payload, signature = token.split(".")
    forged = Links(settings).sign(PURPOSE, {**claims, "item": held.item["id"] + 1}).split(".")[1]
    for bad in (expired, f"{header}.{forged}.{signature}", token[:-2], "not-a-token"):
        for response in (
            await client.get(BY_LINK, params={"token": bad}),
            await client.post(BY_LINK, json={"token": bad, "action": "approve"}),
        ):
            assert response.status_code == 400, response.text
            assert (response.json()["reason"], response.json()["field"]) == ("bad_link", "token")
    assert await untouched(db, held)


async def test_a_link_of_a_moderator_who_no_longer_moderates_the_site_is_forbidden(client, db, settings):
    held = await held_item(client, db)
    token = token_for(settings, held)
    await revoke(db, held.moderator.username, "moderator", held.site)
    assert (await client.get(BY_LINK, params={"token": token})).status_code == 403
    refused = await client.post(BY_LINK, json={"token": token, "action": "approve"})
    assert refused.status_code == 403, refused.text
    assert await untouched(db, held)


async def test_a_decision_by_link_names_its_field_when_the_body_is_wrong(client, db, settings):
    held = await held_item(client, db)
    token = token_for(settings, held)
    spam = await client.post(BY_LINK, json={"token": token, "action": "spam"})
    assert (spam.status_code, spam.json()["field"]) == (400, "action")
    extra = await client.post(BY_LINK, json={"token": token, "action": "approve", "ban_days": 3})
    assert (extra.status_code, extra.json()["field"]) == (400, "ban_days")
    assert await untouched(db, held)


async def test_a_link_to_a_comment_edited_since_the_e_mail_decides_nothing(client, db, settings):
    held = await held_item(client, db)
    token = token_for(settings, held)
    edited = await client.patch(
        f"/api/v1/comments/{held.comment['id']}", json={"body": "Seconde version"}, headers=held.author.auth
    )
    assert edited.status_code == 200, edited.text
    stale = await client.post(BY_LINK, json={"token": token, "action": "approve"})
    assert stale.status_code == 409, stale.text
    assert await untouched(db, held)
