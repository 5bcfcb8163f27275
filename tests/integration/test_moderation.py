"""Moderation against real PostgreSQL and Redis: modes and signals, trust,
reports, the queue and its claims, decisions, bans, locks, the audit log, and edits
judged like new comments."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
import redis.asyncio as redis

from tests.builders import (
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    unique_name,
)
from tests.conftest import open_client
from tests.served import free_port


@pytest.fixture
def article():
    return unique_name("article")


async def test_pre_moderation_holds_comments_in_the_queue_until_approved(client, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Première réaction")
    assert comment["status"] == "pending"
    [item] = await moderation_queue(client, site, moderator)
    assert item["kind"] == "held" and item["comment"]["id"] == comment["id"]
    assert item["article"]["key"] == article
    assert item["claimed_by"] == moderator.id and item["claimed_until"]
    assert item["author_history"] == {
        "approved": 0,
        "rejected": 0,
        "account_created_at": item["author_history"]["account_created_at"],
    }
    decided = await decide(client, moderator, item["item_id"], action="approve")
    assert decided["decision"]["action"] == "approve"
    thread = await read_thread(client, site, article)
    assert [c["id"] for c in thread["comments"]] == [comment["id"]] and thread["article"][
        "comment_count"
    ] == 1
    assert await moderation_queue(client, site, moderator) == []


async def test_ordinary_use_on_a_post_site_is_published_at_once(client, db, article):
    site = await make_site(db, burst_count=10)
    reader = await register(client)
    bodies = [
        "Merci pour cet article.",
        "Voir aussi https://example.org/tiers-lieux pour la carte.",
        "Et [la Cocotte Numérique](https://example.org/cocotte), très réussie.",
        "D'accord avec vous.",
        "Deux liens : https://a.example et https://b.example",
    ]
    statuses = [(await post_comment(client, reader, site, article, body))["status"] for body in bodies]
    assert statuses == ["approved"] * 5


@pytest.mark.parametrize(
    ("site_settings", "body", "held_because"),
    [
        ({"max_links": 1}, "see https://a.example and https://b.example", "too_many_links"),
        ({"blocked_words": ["arnaque"]}, "Une vraie ARNAQUÉ, ce site", "blocked_word"),
        ({"blocked_words": ["casino en ligne"]}, "Jouez au Casino en ligne !", "blocked_word"),
        ({"hold_first_comment": True}, "Bonjour", "first_comment"),
    ],
)
async def test_spam_signals_hold_a_comment_on_a_post_site(
    client, db, article, site_settings, body, held_because
):
    site = await make_site(db, **site_settings)
    reader = await register(client)
    comment = await post_comment(client, reader, site, article, body)
    assert comment["status"] == "pending"
    assert await db.fetchval("SELECT held_because FROM comments WHERE id = $1", comment["id"]) == held_because


async def test_blocked_words_match_whole_words_only(client, db, article):
    site = await make_site(db, blocked_words=["arnaque"])
    reader = await register(client)
    assert (await post_comment(client, reader, site, article, "Les arnaques existent"))[
        "status"
    ] == "approved"


async def test_the_same_text_again_from_the_same_author_is_held(client, db, article):
    site = await make_site(db)
    alice, bob = await register(client), await register(client)
    assert (await post_comment(client, alice, site, article, "Achetez maintenant"))["status"] == "approved"
    assert (await post_comment(client, alice, site, article, "achetez   MAINTENANT"))["status"] == "pending"
    assert (await post_comment(client, bob, site, article, "Achetez maintenant"))["status"] == "approved"


async def test_a_burst_from_a_new_account_is_held(client, db, article):
    site = await make_site(db, burst_count=3, burst_minutes=10)
    reader = await register(client)
    statuses = [(await post_comment(client, reader, site, article))["status"] for _ in range(4)]
    assert statuses == ["approved", "approved", "approved", "pending"]
    old_hand = await register(client)
    await db.execute("UPDATE users SET created_at = now() - interval '2 days' WHERE id = $1", old_hand.id)
    statuses = [(await post_comment(client, old_hand, site, article))["status"] for _ in range(4)]
    assert statuses == ["approved"] * 4


async def test_trust_is_earned_by_approvals_and_lost_by_rejections(client, db, article):
    site = await make_site(db, moderation="pre", trust_after=2, distrust_ratio=0.3)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    for _ in range(2):
        await post_comment(client, author, site, article)
        [item] = await moderation_queue(client, site, moderator)
        await decide(client, moderator, item["item_id"], action="approve")
    trusted = await post_comment(client, author, site, article)
    assert trusted["status"] == "approved"
    # Rejections: 3 approved, 2 rejected is a 40 % rejection rate, above 30 %.
    for _ in range(2):
        comment = await post_comment(client, author, site, article)
        await db.execute("UPDATE comments SET status = 'rejected' WHERE id = $1", comment["id"])
    assert (await post_comment(client, author, site, article))["status"] == "pending"


async def test_an_authors_standing_is_kept_equal_to_their_comments_on_each_site(client, db, article):
    """author_standing is kept by a trigger; after every kind of transition it matches a recount
    (but for a removed comment deleted afterwards, which stays counted)."""
    site, other_site = await make_site(db, moderation="pre"), await make_site(db)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    for action in ("approve", "approve", "reject", "spam"):
        await post_comment(client, author, site, article)
        [item] = await moderation_queue(client, site, moderator)
        await decide(client, moderator, item["item_id"], action=action)
    published = [await post_comment(client, author, other_site, article) for _ in range(3)]
    await client.delete(f"/api/v1/comments/{published[0]['id']}", headers=author.auth)
    await post_comment(client, author, site, article)  # pending: counted nowhere
    kept = await db.fetch(
        "SELECT s.slug, a.approved, a.rejected FROM author_standing a JOIN sites s ON s.id = a.site_id "
        "WHERE a.user_id = $1 ORDER BY s.slug",
        author.id,
    )
    recounted = await db.fetch(
        """SELECT s.slug, count(*) FILTER (WHERE c.status = 'approved') AS approved,
                  count(*) FILTER (WHERE c.status IN ('rejected', 'spam')) AS rejected
           FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
           WHERE c.author_id = $1 GROUP BY s.slug ORDER BY s.slug""",
        author.id,
    )
    assert [tuple(r) for r in kept] == [tuple(r) for r in recounted]
    assert {r["slug"]: (r["approved"], r["rejected"]) for r in kept} == {site: (2, 2), other_site: (2, 0)}


async def test_an_author_deleting_a_rejected_comment_keeps_the_rejection_on_their_record(client, db, article):
    site = await make_site(db, moderation="pre", trust_after=2, distrust_ratio=0.3)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    decided = {}
    for action in ("approve", "reject", "approve"):
        decided[action] = await post_comment(client, author, site, article)
        [item] = await moderation_queue(client, site, moderator)
        await decide(client, moderator, item["item_id"], action=action)
    deleted = await client.delete(f"/api/v1/comments/{decided['reject']['id']}", headers=author.auth)
    assert deleted.status_code == 204
    standing = await db.fetchrow(
        "SELECT approved, rejected FROM author_standing st JOIN sites s ON s.id = st.site_id "
        "WHERE s.slug = $1 AND st.user_id = $2",
        site,
        author.id,
    )
    assert tuple(standing) == (2, 1)
    # One rejection in three decisions is above the 30 % the site allows: trust stays withdrawn.
    held = await post_comment(client, author, site, article)
    assert held["status"] == "pending"
    [item] = await moderation_queue(client, site, moderator)
    assert item["comment"]["id"] == held["id"]
    assert (item["author_history"]["approved"], item["author_history"]["rejected"]) == (2, 1)


async def test_reports_enter_the_queue_at_the_threshold_and_join_one_item(client, db, article):
    site = await make_site(db, report_threshold=2)
    author, first, second, third = [await register(client) for _ in range(4)]
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article)
    url = f"/api/v1/comments/{comment['id']}/reports"
    await client.post(url, json={"reason": "abuse"}, headers=first.auth)
    assert await moderation_queue(client, site, moderator) == []
    await client.post(url, json={"reason": "spam", "note": "pub"}, headers=second.auth)
    await client.post(url, json={"reason": "off_topic"}, headers=third.auth)
    [item] = await moderation_queue(client, site, moderator)
    assert item["kind"] == "reported"
    assert [r["reason"] for r in item["reports"]] == ["abuse", "spam", "off_topic"]
    kept = await decide(client, moderator, item["item_id"], action="keep", reason="fair criticism")
    assert kept["decision"]["action"] == "keep"
    assert (await read_thread(client, site, article))["comments"][0]["status"] == "approved"


async def test_two_moderators_claiming_at_once_never_get_the_same_item(client, db, article):
    site = await make_site(db, moderation="pre")
    authors = [await register(client) for _ in range(3)]
    for n in range(12):
        await post_comment(client, authors[n % 3], site, article)
    first, second = await make_moderator(client, db, site), await make_moderator(client, db, site)
    a, b = await asyncio.gather(
        moderation_queue(client, site, first, 8), moderation_queue(client, site, second, 8)
    )
    ids_a, ids_b = {i["item_id"] for i in a}, {i["item_id"] for i in b}
    assert not ids_a & ids_b
    assert len(ids_a | ids_b) == 12
    # A moderator asking again gets their own claims back, and nothing of the other's.
    again = {i["item_id"] for i in await moderation_queue(client, site, first, 20)}
    assert again == ids_a


async def test_an_expired_claim_is_handed_to_another_moderator(client, settings, db, article):
    short = dataclasses.replace(settings, moderation_claim_seconds=1)
    site = await make_site(db, moderation="pre")
    author = await register(client)
    await post_comment(client, author, site, article)
    first, second = await make_moderator(client, db, site), await make_moderator(client, db, site)
    async with open_client(short) as fast:
        [item] = await moderation_queue(fast, site, first)
        assert await moderation_queue(fast, site, second) == []
        deadline = time.monotonic() + 10
        while not (reclaimed := await moderation_queue(fast, site, second)):
            assert time.monotonic() < deadline, "the claim never expired"
            await asyncio.sleep(0.2)  # waiting for the lease to run out, the behaviour under test
    assert [i["item_id"] for i in reclaimed] == [item["item_id"]]


async def test_a_decision_raced_or_replayed_is_applied_once(client, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    first, second = await make_moderator(client, db, site), await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article)
    [item] = await moderation_queue(client, site, first)
    url = f"/api/v1/moderation/items/{item['item_id']}/decision"
    responses = await asyncio.gather(
        client.post(url, json={"action": "approve"}, headers=first.auth),
        client.post(url, json={"action": "reject", "reason": "no"}, headers=second.auth),
        client.post(url, json={"action": "approve"}, headers=first.auth),
    )
    decisions = {r.json()["decision"]["action"] for r in responses}
    assert len(decisions) == 1
    count = await db.fetchval("SELECT comment_count FROM articles WHERE key = $1", article)
    status = await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"])
    assert (status, count) == (("approved", 1) if decisions == {"approve"} else ("rejected", 0))
    entries = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE comment_id = $1 AND action IN ('approve', 'reject')",
        comment["id"],
    )
    assert entries == 1


async def test_a_rejected_comment_shows_its_author_the_moderators_reason(client, db, article):
    site = await make_site(db)
    author, reader = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article)
    for reporter in (reader,):
        await client.post(
            f"/api/v1/comments/{comment['id']}/reports", json={"reason": "abuse"}, headers=reporter.auth
        )
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="reject", reason="Propos injurieux (règle 2).")
    [own] = (await read_thread(client, site, article, author))["comments"]
    assert own["status"] == "rejected" and own["moderation_reason"] == "Propos injurieux (règle 2)."
    assert (await read_thread(client, site, article, reader))["comments"] == []
    assert (await read_thread(client, site, article))["article"]["comment_count"] == 0


async def test_redis_flushed_midway_every_pending_item_comes_back_within_one_claim(
    client, db, settings, article
):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    posted = [await post_comment(client, author, site, article) for _ in range(5)]
    first = await moderation_queue(client, site, moderator, 2)
    await decide(client, moderator, first[0]["item_id"], action="reject", reason="spam")
    lost = redis.Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in lost.scan_iter(match=f"{settings.redis_prefix}*")]
        await lost.delete(*keys)  # this run's Redis data, all of it: as after a restart without persistence
    finally:
        await lost.aclose()
    back = await moderation_queue(client, site, moderator, 50)
    assert {i["comment"]["id"] for i in back} == {c["id"] for c in posted} - {first[0]["comment"]["id"]}


async def test_without_redis_posting_works_and_moderators_get_a_clear_503(client, settings, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    down = dataclasses.replace(
        settings, redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_timeout_seconds=0.2
    )
    async with open_client(down) as no_redis:
        held = await post_comment(no_redis, author, site, article, "posted while Redis was away")
        refused = await no_redis.get(f"/api/v1/sites/{site}/moderation/queue", headers=moderator.auth)
    assert held["status"] == "pending"
    assert refused.status_code == 503 and refused.headers["retry-after"]
    assert "queue" in refused.json()["detail"]
    # Redis is back: the comment held meanwhile is in the queue.
    assert [i["comment"]["id"] for i in await moderation_queue(client, site, moderator)] == [held["id"]]


async def test_a_banned_reader_can_read_but_not_post_vote_or_report(client, db, article):
    site = await make_site(db)
    author, banned = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article)
    ban = await client.post(
        f"/api/v1/sites/{site}/bans",
        json={"user_id": banned.id, "days": 7, "reason": "insultes"},
        headers=moderator.auth,
    )
    assert ban.status_code == 201
    assert (await client.get("/api/v1/me", headers=banned.auth)).status_code == 200
    assert (await read_thread(client, site, article, banned))["comments"]
    attempts = [
        await client.post(
            f"/api/v1/sites/{site}/comments", json={"article": article, "body": "x"}, headers=banned.auth
        ),
        await client.put(f"/api/v1/comments/{comment['id']}/vote", json={"value": 1}, headers=banned.auth),
        await client.post(
            f"/api/v1/comments/{comment['id']}/reports", json={"reason": "spam"}, headers=banned.auth
        ),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403]
    assert all("banned" in r.json()["detail"] and "insultes" in r.json()["detail"] for r in attempts)
    other_site = await make_site(db)
    assert (await post_comment(client, banned, other_site, article))["status"] == "approved"
    lifted = await client.delete(f"/api/v1/sites/{site}/bans/{banned.id}", headers=moderator.auth)
    assert lifted.status_code == 204
    assert (await post_comment(client, banned, site, article))["status"] == "approved"


async def test_a_ban_with_the_decision_and_an_expired_ban(client, db, article):
    site = await make_site(db)
    author, reporter = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article)
    await client.post(
        f"/api/v1/comments/{comment['id']}/reports", json={"reason": "abuse"}, headers=reporter.auth
    )
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="spam", reason="pub", ban_days=0)
    refused = await client.post(
        f"/api/v1/sites/{site}/comments", json={"article": article, "body": "y"}, headers=author.auth
    )
    assert refused.status_code == 403 and "permanently" in refused.json()["detail"]
    await db.execute("UPDATE bans SET until = now() - interval '1 second' WHERE user_id = $1", author.id)
    assert (await post_comment(client, author, site, article))["status"] == "approved"


async def test_locking_an_article_refuses_new_comments_and_is_logged(client, db, article):
    site = await make_site(db)
    reader = await register(client)
    moderator = await make_moderator(client, db, site)
    locked = await client.put(
        f"/api/v1/sites/{site}/articles/lock",
        json={"article": article, "locked": True},
        headers=moderator.auth,
    )
    assert locked.json() == {"article": article, "locked": True}
    refused = await client.post(
        f"/api/v1/sites/{site}/comments", json={"article": article, "body": "z"}, headers=reader.auth
    )
    assert refused.status_code == 403
    assert (await read_thread(client, site, article))["article"]["locked"] is True
    await client.put(
        f"/api/v1/sites/{site}/articles/lock",
        json={"article": article, "locked": False},
        headers=moderator.auth,
    )
    assert (await post_comment(client, reader, site, article))["status"] == "approved"
    log = (await client.get(f"/api/v1/sites/{site}/moderation/log", headers=moderator.auth)).json()
    assert [(e["action"], e["article_key"]) for e in log["entries"]] == [
        ("unlock", article),
        ("lock", article),
    ]


async def test_every_moderation_route_checks_the_site(client, db, article):
    site, elsewhere = await make_site(db, moderation="pre"), await make_site(db)
    author, nobody = await register(client), await register(client)
    outsider = await make_moderator(client, db, elsewhere)
    await post_comment(client, author, site, article)
    insider = await make_moderator(client, db, site)
    [item] = await moderation_queue(client, site, insider)
    for who in (outsider, nobody):
        calls = [
            await client.get(f"/api/v1/sites/{site}/moderation/queue", headers=who.auth),
            await client.post(
                f"/api/v1/moderation/items/{item['item_id']}/decision",
                json={"action": "approve"},
                headers=who.auth,
            ),
            await client.get(f"/api/v1/sites/{site}/moderation/log", headers=who.auth),
            await client.post(
                f"/api/v1/sites/{site}/bans", json={"user_id": author.id, "reason": "x"}, headers=who.auth
            ),
            await client.delete(f"/api/v1/sites/{site}/bans/{author.id}", headers=who.auth),
            await client.put(
                f"/api/v1/sites/{site}/articles/lock",
                json={"article": article, "locked": True},
                headers=who.auth,
            ),
        ]
        assert [c.status_code for c in calls] == [403] * 6
    assert (await client.get(f"/api/v1/sites/{site}/moderation/queue")).status_code == 401


async def test_the_audit_log_records_who_did_what_and_pages_newest_first(client, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comments = [await post_comment(client, author, site, article) for _ in range(3)]
    for item in await moderation_queue(client, site, moderator):
        await decide(client, moderator, item["item_id"], action="approve")
    await client.delete(f"/api/v1/comments/{comments[0]['id']}", headers=moderator.auth)
    await client.post(
        f"/api/v1/sites/{site}/bans", json={"user_id": author.id, "reason": "trop"}, headers=moderator.auth
    )
    await client.delete(f"/api/v1/sites/{site}/bans/{author.id}", headers=moderator.auth)
    first = (
        await client.get(f"/api/v1/sites/{site}/moderation/log", params={"limit": 4}, headers=moderator.auth)
    ).json()
    rest = (
        await client.get(
            f"/api/v1/sites/{site}/moderation/log",
            params={"limit": 4, "cursor": first["next_cursor"]},
            headers=moderator.auth,
        )
    ).json()
    actions = [e["action"] for e in first["entries"] + rest["entries"]]
    assert actions == ["unban", "ban", "delete", "approve", "approve", "approve"]
    assert rest["next_cursor"] is None
    assert all(e["actor_id"] == moderator.id and e["actor"] == moderator.username for e in first["entries"])
    assert first["entries"][1]["reason"] == "trop" and first["entries"][1]["target_user_id"] == author.id


# Edits go through moderation like new comments: the hold policy, bans and locks apply, and a
# moderator's decision is for the revision of the text they were shown.


async def edit(client, reader, comment_id, body):
    return await client.patch(f"/api/v1/comments/{comment_id}", json={"body": body}, headers=reader.auth)


async def stored(db, comment_id):
    return await db.fetchrow("SELECT status, body, held_because FROM comments WHERE id = $1", comment_id)


async def public_count(client, site, article):
    response = await client.get(f"/api/v1/sites/{site}/counts", params={"article": article})
    assert response.status_code == 200, response.text
    return response.json()[article]


async def test_an_edit_of_a_published_comment_into_a_blocked_word_is_hidden_and_queued(client, db, article):
    site = await make_site(db, blocked_words=["arnaque"])
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Bonne adresse, merci.")
    # Read by anonymous readers first, so their pages and the counts are cached.
    assert [c["id"] for c in (await read_thread(client, site, article))["comments"]] == [comment["id"]]
    assert await public_count(client, site, article) == 1

    response = await edit(client, author, comment["id"], "Une vraie arnaque, ce site.")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"

    thread = await read_thread(client, site, article)
    assert thread["comments"] == [] and thread["article"]["comment_count"] == 0
    assert await public_count(client, site, article) == 0
    [own] = (await read_thread(client, site, article, author))["comments"]
    assert own["status"] == "pending" and own["body"] == "Une vraie arnaque, ce site."
    assert (await stored(db, comment["id"]))["held_because"] == "blocked_word"
    [item] = await moderation_queue(client, site, moderator)
    assert item["kind"] == "held" and item["comment"]["id"] == comment["id"]
    assert "arnaque" in item["comment"]["body_html"] and item["revision"] == 2

    await decide(client, moderator, item["item_id"], action="reject", reason="Diffamation.", revision=2)
    assert await public_count(client, site, article) == 0
    assert (await stored(db, comment["id"]))["status"] == "rejected"


async def test_an_edit_the_policy_lets_through_stays_published_at_once(client, db, article):
    site = await make_site(db, blocked_words=["arnaque"])
    author = await register(client)
    comment = await post_comment(client, author, site, article, "Bonne adresse")
    # The same text as before, but for case and spacing: not "the same text again" (itself).
    response = await edit(client, author, comment["id"], "bonne   ADRESSE")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    [shown] = (await read_thread(client, site, article))["comments"]
    assert "ADRESSE" in shown["body_html"] and shown["edited_at"] is not None
    assert await public_count(client, site, article) == 1


async def test_a_decision_on_a_text_its_author_edited_since_is_refused_and_the_item_shows_the_new_text(
    client, db, article
):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Texte sage")
    [item] = await moderation_queue(client, site, moderator)
    assert "Texte sage" in item["comment"]["body_html"]

    assert (await edit(client, author, comment["id"], "Texte modifié après coup")).status_code == 200
    url = f"/api/v1/moderation/items/{item['item_id']}/decision"
    # Without a revision, a decision is for the text the item was opened with: stale.
    unsaid = await client.post(url, json={"action": "approve"}, headers=moderator.auth)
    assert unsaid.status_code == 409, unsaid.text
    assert "edited" in unsaid.json()["detail"] and unsaid.json()["code"] == "conflict"
    assert item["revision"] == 1
    stale = await client.post(url, json={"action": "approve", "revision": 1}, headers=moderator.auth)
    assert stale.status_code == 409
    assert (await stored(db, comment["id"]))["status"] == "pending"

    [again] = await moderation_queue(client, site, moderator)
    assert again["item_id"] == item["item_id"] and again["claimed_by"] == moderator.id
    assert "Texte modifié après coup" in again["comment"]["body_html"] and again["revision"] == 2
    approved = await decide(client, moderator, item["item_id"], action="approve", revision=2)
    assert approved["decision"]["action"] == "approve"
    [shown] = (await read_thread(client, site, article))["comments"]
    assert shown["body_html"] == "<p>Texte modifié après coup</p>"
    # Deciding again returns the first decision, whatever revision it names.
    replayed = await decide(client, moderator, item["item_id"], action="reject", revision=1)
    assert replayed["decision"]["action"] == "approve"


async def test_a_decision_with_no_revision_applies_while_nobody_edited_the_comment(client, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article)
    [item] = await moderation_queue(client, site, moderator)
    approved = await decide(client, moderator, item["item_id"], action="approve")
    assert approved["decision"]["action"] == "approve"
    assert (await stored(db, comment["id"]))["status"] == "approved"


async def test_a_reported_comment_edited_into_held_text_becomes_a_held_item_with_its_reports(
    client, db, article
):
    site = await make_site(db, blocked_words=["arnaque"])
    author, reader = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Avis honnête")
    reported = await client.post(
        f"/api/v1/comments/{comment['id']}/reports", json={"reason": "abuse"}, headers=reader.auth
    )
    assert reported.status_code == 202
    [shown] = await moderation_queue(client, site, moderator)
    assert shown["kind"] == "reported"

    assert (await edit(client, author, comment["id"], "C'est une arnaque")).json()["status"] == "pending"
    kept = await client.post(
        f"/api/v1/moderation/items/{shown['item_id']}/decision",
        json={"action": "keep", "revision": shown["revision"]},
        headers=moderator.auth,
    )
    assert kept.status_code == 409
    [item] = await moderation_queue(client, site, moderator)
    assert item["item_id"] == shown["item_id"] and item["kind"] == "held"
    assert [r["reason"] for r in item["reports"]] == ["abuse"] and "arnaque" in item["comment"]["body_html"]


async def test_a_banned_author_cannot_edit(client, db, article):
    site = await make_site(db)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Avant le bannissement")
    banned = await client.post(
        f"/api/v1/sites/{site}/bans",
        json={"user_id": author.id, "days": 7, "reason": "insultes"},
        headers=moderator.auth,
    )
    assert banned.status_code == 201
    response = await edit(client, author, comment["id"], "Après le bannissement")
    assert response.status_code == 403
    assert "banned" in response.json()["detail"] and "insultes" in response.json()["detail"]
    assert (await stored(db, comment["id"]))["body"] == "Avant le bannissement"


async def test_a_comment_on_a_locked_article_cannot_be_edited(client, db, article):
    site = await make_site(db)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Avant la fermeture")
    lock = {"article": article, "locked": True}
    locked = await client.put(f"/api/v1/sites/{site}/articles/lock", json=lock, headers=moderator.auth)
    assert locked.status_code == 200
    response = await edit(client, author, comment["id"], "Après la fermeture")
    assert response.status_code == 403
    assert response.json()["detail"] == "This article is closed to new comments."
    assert (await stored(db, comment["id"]))["body"] == "Avant la fermeture"


async def test_a_comment_a_moderator_removed_cannot_be_edited(client, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Texte rejeté")
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="reject", reason="Hors sujet.")
    response = await edit(client, author, comment["id"], "Texte réécrit après le rejet")
    assert response.status_code == 403
    assert (await stored(db, comment["id"]))["body"] == "Texte rejeté"


# What moderators are shown: why an item is there, the article it is about as it is now, and an
# audit log that names its targets.


async def test_an_item_says_why_it_is_there_by_the_contracts_rule_names(client, db, article):
    site = await make_site(db, max_links=1, blocked_words=["arnaque"])
    author, reader = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    links = await post_comment(client, author, site, article, "https://a.example et https://b.example")
    reported = await post_comment(client, author, site, article, "Avis honnête")
    response = await client.post(
        f"/api/v1/comments/{reported['id']}/reports", json={"reason": "abuse"}, headers=reader.auth
    )
    assert response.status_code == 202
    items = {item["comment"]["id"]: item for item in await moderation_queue(client, site, moderator)}
    assert items[links["id"]]["held_because"] == ["links"]  # stored as too_many_links
    assert items[reported["id"]]["held_because"] == ["reports"]

    assert (await edit(client, author, reported["id"], "C'est une arnaque")).status_code == 200
    [item] = [
        i for i in await moderation_queue(client, site, moderator) if i["comment"]["id"] == reported["id"]
    ]
    assert item["held_because"] == ["blocked_word", "reports"]
    decided = await decide(client, moderator, item["item_id"], action="reject", revision=item["revision"])
    assert decided["held_because"] == ["blocked_word", "reports"]


async def test_an_items_article_links_to_its_page_and_says_whether_it_is_locked(client, db):
    site = await make_site(db, origins=("https://news.example",), moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    path, elsewhere = f"/2026/{unique_name('tiers-lieu')}", f"//evil.example/{unique_name('page')}"
    for key in (path, elsewhere):
        await post_comment(client, author, site, key)
    locked = await client.put(
        f"/api/v1/sites/{site}/articles/lock", json={"article": path, "locked": True}, headers=moderator.auth
    )
    assert locked.status_code == 200
    articles = {
        item["article"]["key"]: item["article"] for item in await moderation_queue(client, site, moderator)
    }
    assert articles[path] == {
        "key": path,
        "title": None,
        "url": None,
        "link": "https://news.example" + path,
        "locked": True,
    }
    # A key that would lead off the site's origins is no link.
    assert (articles[elsewhere]["link"], articles[elsewhere]["locked"]) == (None, False)

    described = await client.put(
        f"/api/v1/sites/{site}/articles",
        json={
            "article": elsewhere,
            "article_title": "Ailleurs",
            "article_url": "https://news.example/ailleurs",
        },
        headers=moderator.auth,
    )
    assert described.status_code == 200
    [item] = [i for i in await moderation_queue(client, site, moderator) if i["article"]["key"] == elsewhere]
    assert item["article"]["link"] == item["article"]["url"] == "https://news.example/ailleurs"


async def test_a_ban_with_a_decision_needs_its_reason(client, db, article):
    site = await make_site(db, moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    await post_comment(client, author, site, article)
    [item] = await moderation_queue(client, site, moderator)
    refused = await client.post(
        f"/api/v1/moderation/items/{item['item_id']}/decision",
        json={"action": "reject", "ban_days": 7},
        headers=moderator.auth,
    )
    assert refused.status_code == 400 and refused.json()["detail"].startswith("reason: ")
    assert await db.fetchval("SELECT count(*) FROM bans WHERE user_id = $1", author.id) == 0
    decided = await decide(client, moderator, item["item_id"], action="reject", reason="Insultes", ban_days=7)
    assert decided["decision"]["action"] == "reject"
    assert await db.fetchval("SELECT reason FROM bans WHERE user_id = $1", author.id) == "Insultes"


async def test_the_audit_log_names_its_targets_and_their_articles_as_they_are_now(client, db):
    site = await make_site(db, origins=("https://news.example",), moderation="pre")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    path = f"/2026/{unique_name('tiers-lieu')}"
    comment = await post_comment(client, author, site, path)
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="spam", reason="Publicité", ban_days=30)
    await client.put(
        f"/api/v1/sites/{site}/articles/lock", json={"article": path, "locked": True}, headers=moderator.auth
    )
    log = (await client.get(f"/api/v1/sites/{site}/moderation/log", headers=moderator.auth)).json()
    lock, ban, spam = log["entries"]
    article = {"key": path, "title": None, "url": None, "link": "https://news.example" + path, "locked": True}
    assert (lock["action"], lock["article"], lock["target_username"]) == ("lock", article, None)
    # The ban came with the decision: it names the comment only, and its article is the comment's.
    assert (ban["action"], ban["article_key"], ban["article"]) == ("ban", None, article)
    for entry in (ban, spam):
        assert (entry["comment_id"], entry["target_user_id"]) == (comment["id"], author.id)
        assert (entry["target_username"], entry["target_banned"]) == (author.username, True)

    await client.delete(f"/api/v1/sites/{site}/bans/{author.id}", headers=moderator.auth)
    await client.put(
        f"/api/v1/sites/{site}/articles/lock", json={"article": path, "locked": False}, headers=moderator.auth
    )
    log = (await client.get(f"/api/v1/sites/{site}/moderation/log", headers=moderator.auth)).json()
    assert [e["action"] for e in log["entries"]] == ["unlock", "unban", "lock", "ban", "spam"]
    assert not any(e["target_banned"] for e in log["entries"])
    assert [e["article"]["locked"] for e in log["entries"] if e["article"]] == [False] * 4
