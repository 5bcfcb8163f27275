"""Each change a reader or a moderator makes writes exactly its events, with its commit: the
types, the data (public fields, as model.events declares them), nothing for a refused change,
and nothing left for the subscribers served at commit once the request is answered."""

from __future__ import annotations

from collections import Counter

import httpx
import msgspec
import pytest

from commentsvc.domain.cached_pages import StalePages
from commentsvc.domain.guests import GuestClaims
from commentsvc.domain.letters import alerts, appeals, replies
from commentsvc.domain.live.announcing import LiveUpdates
from commentsvc.domain.pins import UnpinRemoved
from commentsvc.domain.queue_feed import QueueFeed
from commentsvc.domain.webhooks.fan_out import WebhookFanOut
from commentsvc.model.events import DATA, EventType
from tests.builders import (
    decide,
    eventually,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    unique_name,
)
from tests.served import serve


async def events_since(db, site: str, after: int) -> list[tuple[str, str | None, dict]]:
    rows = await db.fetch(
        """SELECT e.type, a.key, e.data::text AS data FROM events e
           JOIN sites s ON s.id = e.site_id LEFT JOIN articles a ON a.id = e.article_id
           WHERE s.slug = $1 AND e.id > $2 ORDER BY e.id""",
        site,
        after,
    )
    written = []
    for row in rows:
        data = msgspec.json.decode(row["data"])
        # The data is exactly its type's, field for field.
        typed = msgspec.convert(data, DATA[EventType(row["type"])])
        assert msgspec.to_builtins(typed) == data
        written.append((row["type"], row["key"], data))
    return written


async def last_event(db) -> int:
    return await db.fetchval("SELECT coalesce(max(id), 0) FROM events")


# The subscribers served at commit; the others' deliveries are the dispatchers', a moment later.
AT_COMMIT = [
    StalePages.name,
    QueueFeed.name,
    WebhookFanOut.name,
    GuestClaims.name,
    UnpinRemoved.name,
    LiveUpdates.name,
]


async def undelivered_at_commit(db, site: str) -> int:
    return await db.fetchval(
        """SELECT count(*) FROM event_deliveries d JOIN events e ON e.id = d.event_id
           JOIN sites s ON s.id = e.site_id WHERE s.slug = $1 AND d.subscriber = ANY ($2::text[])""",
        site,
        AT_COMMIT,
    )


async def test_every_change_writes_its_events_and_a_refused_one_writes_none(client, db):
    site, key = await make_site(db, moderation="post"), unique_name("article")
    alice, bob = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    start = await last_event(db)

    first = await post_comment(client, alice, site, key)
    reply = await post_comment(client, bob, site, key, parent_id=first["id"])
    edited = await client.patch(
        f"/api/v1/comments/{first['id']}", json={"body": "Edited."}, headers=alice.auth
    )
    assert edited.status_code == 200, edited.text
    voted = await client.put(f"/api/v1/comments/{first['id']}/vote", json={"value": 1}, headers=bob.auth)
    assert voted.status_code == 200, voted.text
    reported = await client.post(
        f"/api/v1/comments/{reply['id']}/reports", json={"reason": "spam"}, headers=alice.auth
    )
    assert reported.status_code == 202, reported.text
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="reject", reason="Spam.", ban_days=1)
    unbanned = await client.delete(f"/api/v1/sites/{site}/bans/{bob.id}", headers=moderator.auth)
    assert unbanned.status_code in (200, 204), unbanned.text
    for locked in (True, False):
        response = await client.put(
            f"/api/v1/sites/{site}/articles/lock",
            json={"article": key, "locked": locked},
            headers=moderator.auth,
        )
        assert response.status_code == 200, response.text
    described = await client.put(
        f"/api/v1/sites/{site}/articles",
        json={"article": key, "article_title": "Un titre"},
        headers=moderator.auth,
    )
    assert described.status_code == 200, described.text
    deleted = await client.delete(f"/api/v1/comments/{first['id']}", headers=alice.auth)
    assert deleted.status_code == 204, deleted.text

    first_id, reply_id = first["id"], reply["id"]
    written = await events_since(db, site, start)
    ban = next(data for type_, _, data in written if type_ == "user.banned")
    assert ban["user_id"] == bob.id and ban["until"] is not None
    assert [type_ for type_, _, _ in written] == [
        "comment.created",
        "comment.created",
        "comment.edited",
        "comment.voted",
        "comment.reported",
        "comment.rejected",
        "user.banned",
        "user.unbanned",
        "article.locked",
        "article.unlocked",
        "article.described",
        "comment.deleted",
    ]
    assert written[5][2] == {
        "id": reply_id,
        "parent_id": first_id,
        "status": "rejected",
        "previous_status": "approved",
    }
    assert written[0][2] == {"id": first_id, "parent_id": None, "status": "approved"}
    assert written[1][2] == {"id": reply_id, "parent_id": first_id, "status": "approved"}
    assert written[2][2] == {
        "id": first_id,
        "parent_id": None,
        "status": "approved",
        "previous_status": "approved",
    }
    assert written[3][2] == {"id": first_id, "score": 1}
    assert written[4][2] == {"id": reply_id, "item_opened": True}
    assert [data for _, _, data in written[7:11]] == [
        {"user_id": bob.id},
        {"locked": True},
        {"locked": False},
        {"locked": False},
    ]
    assert {article for _, article, _ in written} == {key, None}
    assert written[11][2] == {
        "id": first_id,
        "parent_id": None,
        "status": "deleted",
        "previous_status": "approved",
    }
    # The subscribers served at commit had them all before each answer.
    assert await undelivered_at_commit(db, site) == 0

    # Refused: nothing written (an author voting on their own comment; a lock by a reader).
    before = await last_event(db)
    own = await client.put(f"/api/v1/comments/{reply_id}/vote", json={"value": 1}, headers=bob.auth)
    assert own.status_code == 403
    not_a_moderator = await client.put(
        f"/api/v1/sites/{site}/articles/lock", json={"article": key, "locked": True}, headers=alice.auth
    )
    assert not_a_moderator.status_code == 403
    assert await events_since(db, site, before) == []


async def test_a_held_comment_and_an_erased_account_write_their_events(client, db):
    site, key = await make_site(db, moderation="pre", trust_after=1000), unique_name("article")
    alice, carol = await register(client), await register(client)
    start = await last_event(db)
    held = await post_comment(client, alice, site, key)
    assert held["status"] == "pending"
    erased = await client.request(
        "DELETE", "/api/v1/me", json={"password": alice.password}, headers=alice.auth
    )
    assert erased.status_code == 204, erased.text
    other = await post_comment(client, carol, site, unique_name("article"))
    written = await events_since(db, site, start)
    assert [(type_, article) for type_, article, _ in written] == [
        ("comment.created", key),
        ("user.erased", key),
        ("comment.created", written[2][1]),
    ]
    assert written[0][2] == {"id": held["id"], "parent_id": None, "status": "pending"}
    assert written[1][2] == {"user_id": alice.id}
    assert written[2][2]["id"] == other["id"]
    assert await undelivered_at_commit(db, site) == 0


@pytest.mark.slow
async def test_two_instances_of_two_workers_apply_every_consequence_once_for_all(db, settings):
    """Two `commentsvc serve --workers 2` on one database and Redis: a comment held through one
    instance is in the queue a moderator claims through the other, a decision through that one
    shows in the first one's anonymous pages within the cache's second, and once every answer is
    in, no event is left undelivered (each delivered by the process that wrote it)."""
    site, key = await make_site(db, moderation="pre", trust_after=1000), unique_name("article")
    start = await last_event(db)
    # One public address for both, as behind one load balancer (access tokens name it).
    public = {"COMMENTSVC_PUBLIC_URL": settings.public_url}
    with (
        serve(settings, workers=2, **public) as first_url,
        serve(settings, workers=2, **public) as second_url,
    ):
        async with (
            httpx.AsyncClient(base_url=first_url) as first,
            httpx.AsyncClient(base_url=second_url) as second,
        ):
            readers = [await register(first) for _ in range(6)]
            moderator = await make_moderator(first, db, site)
            held = [
                await post_comment(instance, reader, site, key)
                for reader in readers
                for instance in (first, second)
            ]
            assert {comment["status"] for comment in held} == {"pending"}
            claimed = await moderation_queue(second, site, moderator, limit=50)
            assert sorted(item["comment"]["id"] for item in claimed) == sorted(c["id"] for c in held)
            assert (await read_thread(first, site, key))["comments"] == []  # cached, empty
            for item in claimed:
                await decide(second, moderator, item["item_id"], action="approve")

            async def all_shown() -> bool:
                return len((await read_thread(first, site, key))["comments"]) == len(held)

            await eventually(all_shown, "the approvals shown by the other instance", seconds=2)
    written = await events_since(db, site, start)
    assert Counter(type_ for type_, _, _ in written) == {"comment.created": 12, "comment.approved": 12}
    assert await undelivered_at_commit(db, site) == 0
    subscribers = {row["name"] for row in await db.fetch("SELECT name FROM event_subscribers")}
    mail = {alerts.NAME, replies.NAME, appeals.NAME, "account-mail"}
    assert subscribers == {*AT_COMMIT, *mail, WebhookFanOut.name}
