"""Bulk decisions against real PostgreSQL and Redis: each comment decided once, whatever the list
holds (duplicates, comments decided already, edited, deleted, of another site), one audit entry
and one event per change, refusals that change nothing, and two sweeps racing each other."""

from __future__ import annotations

import asyncio
import json

import pytest

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
from tests.integration.test_change_events import events_since, last_event
from tests.served import commentsvc, service_environment

HELD = "casino"  # a blocked word on the tests' sites: a comment with it is held


@pytest.fixture
def article():
    return unique_name("article")


async def bulk(client, site, moderator, comment_ids, action, reason=None, status=200):
    body = {"comment_ids": comment_ids, "action": action, **({"reason": reason} if reason else {})}
    response = await client.post(f"/api/v1/sites/{site}/moderation/bulk", json=body, headers=moderator.auth)
    assert response.status_code == status, response.text
    return response.json()


def outcomes(answer: dict) -> list[tuple[int, str]]:
    return [(r["comment_id"], r["outcome"]) for r in answer["results"]]


async def audit_entries(db, comment_ids: list[int]) -> list[tuple[int, str, str | None]]:
    rows = await db.fetch(
        "SELECT comment_id, action, reason FROM audit_log WHERE comment_id = ANY($1::bigint[]) ORDER BY id",
        comment_ids,
    )
    return [tuple(row) for row in rows]


async def test_each_comment_is_decided_once_and_every_id_gets_its_outcome(client, db, article):
    site, other_site = await make_site(db, blocked_words=[HELD]), await make_site(db)
    author, raider = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    held = [await post_comment(client, raider, site, article, f"{HELD} {n}") for n in range(3)]
    published = await post_comment(client, raider, site, article, "Un message publié d'emblée")
    deleted = await post_comment(client, author, site, article, "Bientôt effacé")
    elsewhere = await post_comment(client, raider, other_site, article)
    assert {c["status"] for c in held} == {"pending"} and published["status"] == "approved"
    assert (await client.delete(f"/api/v1/comments/{deleted['id']}", headers=author.auth)).status_code == 204
    # The third held comment is decided from the queue first.
    [item] = [
        i for i in await moderation_queue(client, site, moderator) if i["comment"]["id"] == held[2]["id"]
    ]
    await decide(client, moderator, item["item_id"], action="approve")
    since = await last_event(db)

    ids = [held[0]["id"], held[1]["id"], held[0]["id"], published["id"], held[2]["id"]]
    ids += [elsewhere["id"], 999_999_999, deleted["id"]]
    answer = await bulk(client, site, moderator, ids, "reject", "Raid publicitaire")

    assert outcomes(answer) == [
        (held[0]["id"], "applied"),
        (held[1]["id"], "applied"),
        (held[0]["id"], "duplicate"),
        (published["id"], "applied"),
        (held[2]["id"], "applied"),  # approved from the queue, removed now: a published comment
        (elsewhere["id"], "not_found"),
        (999_999_999, "not_found"),
        (deleted["id"], "deleted"),
    ]
    changed = [held[0]["id"], held[1]["id"], published["id"], held[2]["id"]]
    rows = await db.fetch(
        "SELECT id, status, moderation_reason FROM comments WHERE id = ANY($1::bigint[])", changed
    )
    assert {tuple(r)[1:] for r in rows} == {("rejected", "Raid publicitaire")}
    assert await audit_entries(db, changed) == [
        (held[2]["id"], "approve", None),
        *((cid, "reject", "Raid publicitaire") for cid in changed),
    ]
    written = await events_since(db, site, since)
    assert [(t, data["id"], data["previous_status"]) for t, _, data in written] == [
        ("comment.rejected", held[0]["id"], "pending"),
        ("comment.rejected", held[1]["id"], "pending"),
        ("comment.rejected", published["id"], "approved"),
        ("comment.rejected", held[2]["id"], "approved"),
    ]
    items = await db.fetch(
        "SELECT decision, decided_by FROM moderation_items WHERE comment_id = ANY($1::bigint[])",
        [held[0]["id"], held[1]["id"]],
    )
    assert {tuple(r) for r in items} == {("reject", moderator.id)}
    assert await moderation_queue(client, site, moderator) == []
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", elsewhere["id"]) == "approved"

    # Again: nothing left to do, nothing written.
    since = await last_event(db)
    again = await bulk(client, site, moderator, changed, "spam")
    assert outcomes(again) == [(cid, "already_decided") for cid in changed]
    assert await events_since(db, site, since) == []
    assert len(await audit_entries(db, changed)) == 5


async def test_a_sweep_never_reinstates_a_removed_comment_nor_repeats_a_status(client, db, article):
    site = await make_site(db)
    reader = await register(client)
    moderator = await make_moderator(client, db, site)
    kept, removed = [await post_comment(client, reader, site, article) for _ in range(2)]
    await bulk(client, site, moderator, [removed["id"]], "spam")
    answer = await bulk(client, site, moderator, [kept["id"], removed["id"]], "approve")
    assert outcomes(answer) == [(kept["id"], "already_decided"), (removed["id"], "already_decided")]
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", removed["id"]) == "spam"


async def test_approving_held_comments_in_bulk_publishes_them_and_counts_them(client, db, article):
    site = await make_site(db, moderation="pre")
    reader = await register(client)
    moderator = await make_moderator(client, db, site)
    held = [await post_comment(client, reader, site, article) for _ in range(3)]
    assert (await read_thread(client, site, article))["article"]["comment_count"] == 0
    answer = await bulk(client, site, moderator, [c["id"] for c in held], "approve")
    assert {outcome for _, outcome in outcomes(answer)} == {"applied"}
    thread = await read_thread(client, site, article)
    assert thread["article"]["comment_count"] == 3
    assert [c["id"] for c in thread["comments"]] == [c["id"] for c in held]
    standing = await db.fetchval(
        "SELECT approved FROM author_standing st JOIN sites s ON s.id = st.site_id "
        "WHERE s.slug = $1 AND st.user_id = $2",
        site,
        reader.id,
    )
    assert standing == 3


async def test_a_comment_edited_since_it_was_held_is_left_for_the_queue(client, db, article):
    site = await make_site(db, moderation="pre")
    reader = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, reader, site, article, "Première version")
    edited = await client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body": "Seconde version"}, headers=reader.auth
    )
    assert edited.status_code == 200
    answer = await bulk(client, site, moderator, [comment["id"]], "approve")
    assert outcomes(answer) == [(comment["id"], "edited")]
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "pending"
    [item] = await moderation_queue(client, site, moderator)
    assert item["comment"]["id"] == comment["id"] and item["decision"] is None


async def test_two_sweeps_racing_over_the_same_comments_decide_each_once(client, db, article):
    site = await make_site(db, moderation="pre")
    reader = await register(client)
    first, second = await make_moderator(client, db, site), await make_moderator(client, db, site)
    ids = [(await post_comment(client, reader, site, article))["id"] for _ in range(20)]
    answers = await asyncio.gather(
        bulk(client, site, first, ids, "reject", "Hors sujet"),
        bulk(client, site, second, list(reversed(ids)), "reject", "Hors sujet"),
    )
    applied = [cid for answer in answers for cid, outcome in outcomes(answer) if outcome == "applied"]
    assert sorted(applied) == sorted(ids)
    assert sorted(cid for cid, _, _ in await audit_entries(db, ids)) == sorted(ids)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lambda c: {"comment_ids": [], "action": "reject"}, "comment_ids"),
        (lambda c: {"comment_ids": [c, *range(1, 101)], "action": "reject"}, "comment_ids"),
        (lambda c: {"comment_ids": [c], "action": "keep"}, "action"),
        (lambda c: {"comment_ids": [c], "action": "reject", "reason": "a\x00b"}, "reason"),
        (lambda c: {"comment_ids": [c, 0], "action": "reject"}, "comment_ids[1]"),
        (lambda c: {"action": "reject"}, "comment_ids"),
    ],
    ids=["empty", "a-hundred-and-one", "keep", "control-character", "zero", "missing"],
)
async def test_a_bad_request_is_a_400_naming_the_field_and_changes_nothing(client, db, article, body, field):
    site = await make_site(db, moderation="pre")
    reader = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, reader, site, article)
    before = await db.fetchval("SELECT count(*) FROM audit_log")
    response = await client.post(
        f"/api/v1/sites/{site}/moderation/bulk", json=body(comment["id"]), headers=moderator.auth
    )
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["field"] == field and error["detail"].startswith(f"{field}:")
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "pending"
    assert await db.fetchval("SELECT count(*) FROM audit_log") == before


async def test_only_the_sites_moderators_may_sweep_it(client, db, article):
    site, other_site = await make_site(db, moderation="pre"), await make_site(db)
    reader = await register(client)
    other_moderator = await make_moderator(client, db, other_site)
    comment = await post_comment(client, reader, site, article)
    body = {"comment_ids": [comment["id"]], "action": "approve"}
    url = f"/api/v1/sites/{site}/moderation/bulk"
    anonymous = await client.post(url, json=body)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    for caller in (reader, other_moderator):
        assert (await client.post(url, json=body, headers=caller.auth)).status_code == 403
    assert (
        await client.post("/api/v1/sites/no-such-site/moderation/bulk", json=body, headers=reader.auth)
    ).status_code == 404
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "pending"


async def test_bulk_removals_count_in_site_stats_by_rule_and_an_appeal_is_never_swept(
    client, db, article, settings
):
    site = await make_site(db, blocked_words=[HELD])
    raider, writer, reporter = await register(client), await register(client), await register(client)
    moderator, other = await make_moderator(client, db, site), await make_moderator(client, db, site)
    held = [await post_comment(client, raider, site, article, f"{HELD} {n}") for n in range(2)]
    reported = await post_comment(client, writer, site, article, "Un avis publié, puis signalé")
    plain = await post_comment(client, writer, site, article, "Un avis publié, trouvé sur sa page")
    response = await client.post(
        f"/api/v1/comments/{reported['id']}/reports", json={"reason": "abuse"}, headers=reporter.auth
    )
    assert response.status_code == 202, response.text
    ids = [c["id"] for c in (*held, reported, plain)]
    answer = await bulk(client, site, moderator, ids, "reject", "Raid")
    assert outcomes(answer) == [(cid, "applied") for cid in ids]
    rules = await db.fetch(
        "SELECT comment_id, rule FROM audit_log WHERE comment_id = ANY($1::bigint[]) AND action = 'reject'",
        ids,
    )
    assert dict(map(tuple, rules)) == {
        held[0]["id"]: "blocked_word", held[1]["id"]: "blocked_word", reported["id"]: "reports", plain["id"]: None
    }  # fmt: skip

    # An appeal against one of them is never decided by a sweep, whichever way it goes.
    appealed = await client.post(
        f"/api/v1/comments/{held[0]['id']}/appeal",
        json={"text": "Ce n'est pas un raid."},
        headers=raider.auth,
    )
    assert appealed.status_code == 202, appealed.text
    for action in ("approve", "reject"):
        again = await bulk(client, site, other, [held[0]["id"]], action, "Vu")
        assert outcomes(again) == [(held[0]["id"], "already_decided")]
    assert await db.fetchval(
        "SELECT decision FROM moderation_items WHERE comment_id = $1 AND kind = 'appeal'", held[0]["id"]
    ) is None  # fmt: skip
    # From the queue, another moderator than the remover reinstates it: a reversal of its rule.
    [item] = await moderation_queue(client, site, other)
    assert item["kind"] == "appeal" and item["comment"]["id"] == held[0]["id"]
    await decide(client, other, item["item_id"], action="approve", reason="Faux positif")
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", held[0]["id"]) == "approved"

    listed = commentsvc("site", "stats", site, "--json", env=service_environment(settings))
    assert listed.returncode == 0, listed.stderr
    figures = {
        row["rule"]: [row[c] for c in ("removals", "appeals", "reversals", "upheld")]
        for row in json.loads(listed.stdout)
    }
    assert figures == {"blocked_word": [2, 1, 1, 0], "reports": [1, 0, 0, 0], "none": [1, 0, 0, 0]}
