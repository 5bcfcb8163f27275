"""Webhook deliveries to real HTTP receivers on loopback: signed the Standard Webhooks way, retried
with the same webhook-id until a 2xx, never doubled, never lost while a receiver is away, a slow
receiver holding up no other, redirects not followed, and a host that resolves to loopback
refused at delivery time.

Loopback receivers need COMMENTSVC_WEBHOOK_ALLOW_PRIVATE: these tests run a service that allows
them on a database of their own, where no other service (allowing none) takes its deliveries. A
retry falls due after its real delay (5 s, 10 s...); the tests check that delay, then bring the
retry forward in the database instead of waiting for it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import time
from datetime import datetime, timedelta

import asyncpg
import pytest

from commentsvc.domain.roles import grant
from commentsvc.domain.webhooks.registry import Webhooks
from commentsvc.domain.webhooks.sender import LOG_RETENTION
from commentsvc.store import webhooks as store
from tests.builders import eventually, make_site, post_comment, register, unique_name
from tests.conftest import RUN_ID, migrated_database, open_client
from tests.receiver import HANG, Receiver


@pytest.fixture(scope="module")
async def private_settings(server_settings, settings, redis_prefix):
    async with migrated_database(server_settings, f"commentsvc_test_{RUN_ID}_webhooks") as url:
        yield dataclasses.replace(
            settings, database_url=url, redis_prefix=f"{redis_prefix}webhooks:", webhook_allow_private=True
        )


@pytest.fixture(scope="module")
async def hooks(private_settings):
    """The service that may send to loopback."""
    async with open_client(private_settings) as client:
        yield client


@pytest.fixture(scope="module")
async def hooks_db(private_settings):
    conn = await asyncpg.connect(private_settings.database_url)
    yield conn
    await conn.close()


@pytest.fixture(autouse=True)
async def no_webhook_left(hooks_db):
    """Each test's webhooks go with it, and their deliveries still to make: none reaches a later
    test's receiver that happens to listen on the same port."""
    yield
    await hooks_db.execute("DELETE FROM webhooks")


@pytest.fixture(scope="module")
async def admin(hooks, hooks_db):
    reader = await register(hooks, username=unique_name("admin"))
    await grant(hooks_db, reader.username, "admin", None)
    return reader


@pytest.fixture(scope="module")
async def writer(hooks):
    return await register(hooks)


async def add_webhook(
    client, admin, site: str, url: str, events: tuple[str, ...] = ("comment.created",)
) -> dict:
    response = await client.post(
        f"/api/v1/sites/{site}/webhooks", json={"url": url, "events": list(events)}, headers=admin.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, as a receiver writes it (the README shows the same)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(given.removeprefix("v1,"), expected)
        for given in headers["webhook-signature"].split()
        if given.startswith("v1,")
    )


async def attempted(
    db: asyncpg.Connection, webhook_id: int, attempts: int, count: int = 1
) -> list[asyncpg.Record]:
    """The webhook's ``count`` deliveries once each has had its ``attempts``-th attempt recorded
    (a delivery being attempted has no outcome yet)."""
    query = """SELECT d.*, w.last_delivery_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
               WHERE d.webhook_id = $1 AND d.attempts = $2
                 AND (d.last_error IS NOT NULL OR d.delivered_at IS NOT NULL) ORDER BY d.event_id"""

    async def recorded() -> bool:
        return len(await db.fetch(query, webhook_id, attempts)) == count

    await eventually(recorded, f"{count} deliveries attempted {attempts} time(s)", seconds=30)
    return await db.fetch(query, webhook_id, attempts)


async def retry_now(db: asyncpg.Connection, webhook_id: int, attempts: int) -> None:
    """Bring forward the retry of the webhook's deliveries that failed ``attempts`` times."""
    await db.execute(
        """UPDATE webhook_deliveries SET due_at = now()
           WHERE webhook_id = $1 AND attempts = $2 AND last_error IS NOT NULL
             AND delivered_at IS NULL AND dead_at IS NULL""",
        webhook_id,
        attempts,
    )


async def last_delivery(client, admin, site: str, webhook_id: int) -> dict | None:
    response = await client.get(f"/api/v1/sites/{site}/webhooks", headers=admin.auth)
    [webhook] = [w for w in response.json()["webhooks"] if w["id"] == webhook_id]
    return webhook["last_delivery"]


async def test_a_receiver_failing_twice_gets_the_event_again_with_the_same_id_until_it_answers(
    hooks, hooks_db, admin, writer
):
    site, article = await make_site(hooks_db), unique_name("article")
    async with Receiver([500, 503]) as receiver:
        webhook = await add_webhook(hooks, admin, site, receiver.url())
        comment = await post_comment(hooks, writer, site, article)

        [first] = await attempted(hooks_db, webhook["id"], 1)
        assert first["last_status"] == 500 and first["delivered_at"] is None
        assert first["due_at"] - first["last_delivery_at"] == timedelta(seconds=5)
        await retry_now(hooks_db, webhook["id"], 1)
        [second] = await attempted(hooks_db, webhook["id"], 2)
        assert second["last_status"] == 503
        assert second["due_at"] - second["last_delivery_at"] == timedelta(seconds=10)
        await retry_now(hooks_db, webhook["id"], 2)
        [third] = await attempted(hooks_db, webhook["id"], 3)
        assert third["delivered_at"] is not None and third["last_status"] == 200

    tries = receiver.received
    assert len(tries) == 3  # recorded as delivered after the third: none came after
    event_id = await hooks_db.fetchval(
        "SELECT id FROM events WHERE type = 'comment.created' AND (data->>'id')::bigint = $1", comment["id"]
    )
    assert {t.headers["webhook-id"] for t in tries} == {str(event_id)}
    for sent in tries:
        assert verified(webhook["secret"], sent.headers, sent.body)
        assert abs(int(sent.headers["webhook-timestamp"]) - time.time()) < 60
        assert sent.headers["content-type"] == "application/json"
        assert sent.headers["user-agent"].startswith("commentsvc/")
        assert sent.path == "/hook"
    body = tries[0].json()
    assert body["type"] == "comment.created"
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert body["data"] == {
        "id": comment["id"],
        "parent_id": None,
        "status": "approved",
        "site": site,
        "article": article,
    }
    assert not verified(webhook["secret"], tries[0].headers, tries[0].body + b" ")
    assert await last_delivery(hooks, admin, site, webhook["id"]) == {
        "at": third["last_delivery_at"].isoformat().replace("+00:00", "Z"),
        "status": 200,
        "attempt": 3,
    }


async def test_a_receiver_away_for_a_while_gets_every_event_once_when_back(hooks, hooks_db, admin, writer):
    site, article = await make_site(hooks_db), unique_name("article")
    receiver = Receiver()  # not listening yet: its port refuses connections
    webhook = await add_webhook(hooks, admin, site, receiver.url())
    comments = [await post_comment(hooks, writer, site, article) for _ in range(3)]
    failed = await attempted(hooks_db, webhook["id"], 1, count=3)
    assert all(row["last_status"] is None and "cannot connect" in row["last_error"] for row in failed)
    last = await last_delivery(hooks, admin, site, webhook["id"])
    assert last["status"] is None and last["attempt"] == 1 and "cannot connect" in last["error"]

    async with receiver:
        await retry_now(hooks_db, webhook["id"], 1)
        await attempted(hooks_db, webhook["id"], 2, count=3)
    assert sorted(r.json()["data"]["id"] for r in receiver.received) == sorted(c["id"] for c in comments)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 3


async def test_a_slow_receiver_holds_up_no_other_webhook(hooks, hooks_db, admin, writer):
    site, article = await make_site(hooks_db), unique_name("article")
    async with Receiver([HANG] * 3) as slow, Receiver() as fast:
        await add_webhook(hooks, admin, site, slow.url())
        await add_webhook(hooks, admin, site, fast.url())
        for _ in range(3):
            await post_comment(hooks, writer, site, article)

        async def slow_holds_two() -> bool:
            return slow.hanging == 2

        await eventually(slow_holds_two, "the slow receiver holding two requests")
        await fast.wait_for(3)
        # The slow receiver still holds its two (its own slots); the third waits for one of them.
        assert slow.hanging == 2 and len(slow.received) == 2


@pytest.mark.slow
async def test_a_receiver_that_does_not_answer_within_10_seconds_is_tried_again_later(
    hooks, hooks_db, admin, writer
):
    site = await make_site(hooks_db)
    async with Receiver([HANG]) as receiver:
        webhook = await add_webhook(hooks, admin, site, receiver.url())
        await post_comment(hooks, writer, site, unique_name("article"))
        [row] = await attempted(hooks_db, webhook["id"], 1)
        assert receiver.hanging == 1  # still holding the request the sender gave up on
    assert row["last_status"] is None and row["last_error"] == "no answer within 10 s"
    assert row["due_at"] - row["last_delivery_at"] == timedelta(seconds=5)


async def test_redirects_are_not_followed(hooks, hooks_db, admin, writer):
    site = await make_site(hooks_db)
    async with Receiver() as target, Receiver([307], location=target.url("/elsewhere")) as redirecting:
        webhook = await add_webhook(hooks, admin, site, redirecting.url())
        await post_comment(hooks, writer, site, unique_name("article"))
        [row] = await attempted(hooks_db, webhook["id"], 1)
    assert row["last_status"] == 307 and "redirects are not followed" in row["last_error"]
    assert len(redirecting.received) == 1 and target.received == []


async def test_a_removed_webhook_gets_nothing_more(hooks, hooks_db, admin, writer):
    site = await make_site(hooks_db)
    async with Receiver([500]) as receiver:
        webhook = await add_webhook(hooks, admin, site, receiver.url())
        await post_comment(hooks, writer, site, unique_name("article"))
        await attempted(hooks_db, webhook["id"], 1)
        removed = await hooks.delete(f"/api/v1/sites/{site}/webhooks/{webhook['id']}", headers=admin.auth)
        assert removed.status_code == 204
    assert (
        await hooks_db.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1", webhook["id"]
        )
        == 0
    )


async def test_a_delivery_whose_attempts_are_spent_is_dead(hooks, hooks_db, admin, writer):
    site = await make_site(hooks_db)
    async with Receiver([500, 500]) as receiver:
        webhook = await add_webhook(hooks, admin, site, receiver.url())
        await post_comment(hooks, writer, site, unique_name("article"))
        await attempted(hooks_db, webhook["id"], 1)
        # As if it had failed all but its last attempt (34 in all, over more than a day).
        await hooks_db.execute(
            "UPDATE webhook_deliveries SET attempts = 33 WHERE webhook_id = $1", webhook["id"]
        )
        await retry_now(hooks_db, webhook["id"], 33)
        [row] = await attempted(hooks_db, webhook["id"], 34)
    assert row["dead_at"] is not None and row["last_status"] == 500
    assert (await last_delivery(hooks, admin, site, webhook["id"]))["attempt"] == 34
    assert len(receiver.received) == 2


async def test_finished_deliveries_stay_in_the_log_for_a_week(hooks, hooks_db, admin, writer):
    site = await make_site(hooks_db)
    async with Receiver([200, 500]) as receiver:
        webhook = await add_webhook(hooks, admin, site, receiver.url())
        for _ in range(2):
            await post_comment(hooks, writer, site, unique_name("article"))
        rows = await attempted(hooks_db, webhook["id"], 1, count=2)
    # Sent at the same time: which one got the 500 is the receiver's order.
    [failed] = [row for row in rows if row["delivered_at"] is None]
    assert failed["last_status"] == 500
    aged = "UPDATE webhook_deliveries SET delivered_at = delivered_at - $2::interval WHERE webhook_id = $1"
    await hooks_db.execute(aged, webhook["id"], LOG_RETENTION - timedelta(minutes=1))
    await store.prune(hooks_db, LOG_RETENTION, 1000)
    assert (
        await hooks_db.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1", webhook["id"]
        )
        == 2
    )
    await hooks_db.execute(aged, webhook["id"], timedelta(minutes=2))
    await store.prune(hooks_db, LOG_RETENTION, 1000)
    # The delivered one is gone; the one still to be retried stays.
    left = await hooks_db.fetch(
        "SELECT event_id FROM webhook_deliveries WHERE webhook_id = $1", webhook["id"]
    )
    assert [row["event_id"] for row in left] == [failed["event_id"]]


async def test_a_webhook_gets_only_the_types_it_took_with_the_article_and_site(
    hooks, hooks_db, admin, writer
):
    site, article = await make_site(hooks_db), unique_name("article")
    async with Receiver() as receiver:
        webhook = await add_webhook(hooks, admin, site, receiver.url(), events=("article.locked",))
        await post_comment(hooks, writer, site, article)
        locked = await hooks.put(
            f"/api/v1/sites/{site}/articles/lock",
            json={"article": article, "locked": True},
            headers=admin.auth,
        )
        assert locked.status_code == 200, locked.text
        [sent] = await receiver.wait_for(1)
        # The comment's event came first in the article's stream: had it been taken, it would be here.
        await attempted(hooks_db, webhook["id"], 1)
    assert sent.json()["type"] == "article.locked"
    assert sent.json()["data"] == {"locked": True, "site": site, "article": article}
    assert (
        await hooks_db.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1", webhook["id"]
        )
        == 1
    )


async def test_a_host_resolving_to_loopback_is_refused_when_delivering(client, db, settings):
    """The session's service allows no private address: a webhook registered to one while it was
    allowed (or whose name came to resolve to one) is refused when sent, before connecting."""
    assert not settings.webhook_allow_private
    site = await make_site(db)
    async with Receiver() as receiver:
        allowing = Webhooks(allow_private=True)
        by_name = await allowing.add(
            db, site, f"http://localhost:{receiver.port}/hook", ["comment.created"], None
        )
        by_address = await allowing.add(db, site, receiver.url(), ["comment.created"], None)
        writer = await register(client)
        await post_comment(client, writer, site, unique_name("article"))
        [named] = await attempted(db, by_name.id, 1)
        [addressed] = await attempted(db, by_address.id, 1)
    assert named["last_status"] is None
    assert named["last_error"].startswith("refused: localhost resolves only to addresses that are not public")
    assert addressed["last_error"] == "refused: 127.0.0.1 is not a public address"
    assert receiver.received == []
    await db.execute("DELETE FROM webhooks WHERE id = ANY ($1::bigint[])", [by_name.id, by_address.id])
