"""Pinned comments: first in every sort with pages that still add up, marked in every response,
their events and audit entries, anonymous readers' cached pages made stale, and who may pin what."""

from __future__ import annotations

import pytest

from tests.builders import make_moderator, make_site, post_comment, read_thread, register, unique_name
from tests.integration.test_change_events import events_since, last_event


async def pin(client, moderator, comment_id, pinned=True, status=200):
    response = await client.put(
        f"/api/v1/comments/{comment_id}/pin", json={"pinned": pinned}, headers=moderator.auth
    )
    assert response.status_code == status, response.text
    return response.json()


async def every_page(client, site, article, sort, limit):
    """The top-level comments' ids, page after page, as an anonymous reader pages through them."""
    ids, cursor = [], None
    while True:
        page = await read_thread(
            client, site, article, sort=sort, limit=limit, **({"cursor": cursor} if cursor else {})
        )
        ids += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
async def test_pinned_comments_come_first_in_every_sort_and_pages_add_up(client, db, sort):
    site, article = await make_site(db), unique_name("article")
    author, voters = await register(client), [await register(client) for _ in range(3)]
    moderator = await make_moderator(client, db, site)
    posted = [await post_comment(client, author, site, article) for _ in range(7)]
    # Scores 0, 1, 2, 3, 0, 1, 2: "top" orders differently from the dates.
    for n, comment in enumerate(posted):
        for voter in voters[: n % 4]:
            voted = await client.put(
                f"/api/v1/comments/{comment['id']}/vote", json={"value": 1}, headers=voter.auth
            )
            assert voted.status_code == 200
    reply = await post_comment(client, author, site, article, parent_id=posted[0]["id"])
    unpinned = await every_page(client, site, article, sort, 100)
    pinned = [posted[5]["id"], posted[1]["id"]]
    for comment_id in pinned:
        assert (await pin(client, moderator, comment_id))["pinned"] is True

    expected = [cid for cid in unpinned if cid in pinned] + [cid for cid in unpinned if cid not in pinned]
    for limit in (1, 2, 3, 100):
        assert await every_page(client, site, article, sort, limit) == expected
    thread = await read_thread(client, site, article, sort=sort)
    marks = {c["id"]: c["pinned"] for c in thread["comments"]}
    assert marks == {cid: cid in pinned for cid in expected}
    first = next(c for c in thread["comments"] if c["id"] == posted[0]["id"])
    assert first["replies"][0]["id"] == reply["id"] and first["replies"][0]["pinned"] is False


async def test_a_pin_writes_its_event_and_audit_entry_once_and_readers_see_it_at_once(client, db):
    site, article = await make_site(db), unique_name("article")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    older, newer = [await post_comment(client, author, site, article) for _ in range(2)]
    assert older["pinned"] is False  # in the posting's answer too
    # An anonymous reader's page, now in the cache.
    assert [c["id"] for c in (await read_thread(client, site, article))["comments"]] == [
        older["id"],
        newer["id"],
    ]
    since = await last_event(db)

    pinned = await pin(client, moderator, newer["id"])
    assert pinned["id"] == newer["id"] and pinned["pinned"] is True
    await pin(client, moderator, newer["id"])  # again: nothing changes
    assert [c["id"] for c in (await read_thread(client, site, article))["comments"]] == [
        newer["id"],
        older["id"],
    ]
    await pin(client, moderator, newer["id"], pinned=False)
    assert [c["id"] for c in (await read_thread(client, site, article))["comments"]] == [
        older["id"],
        newer["id"],
    ]

    assert await events_since(db, site, since) == [
        ("comment.pinned", article, {"id": newer["id"], "pinned": True}),
        ("comment.unpinned", article, {"id": newer["id"], "pinned": False}),
    ]
    entries = await db.fetch(
        "SELECT action, actor_id, target_user_id, article_key FROM audit_log WHERE comment_id = $1 ORDER BY id",
        newer["id"],
    )
    assert [tuple(e) for e in entries] == [
        ("pin", moderator.id, author.id, article),
        ("unpin", moderator.id, author.id, article),
    ]


async def test_only_a_published_top_level_comment_is_pinned_and_only_by_its_sites_moderators(client, db):
    site, other_site = await make_site(db, blocked_words=["casino"]), await make_site(db)
    article = unique_name("article")
    author = await register(client)
    moderator, other_moderator = (
        await make_moderator(client, db, site),
        await make_moderator(client, db, other_site),
    )
    top = await post_comment(client, author, site, article)
    reply = await post_comment(client, author, site, article, parent_id=top["id"])
    held = await post_comment(client, author, site, article, "casino en ligne")

    refused = await pin(client, moderator, reply["id"], status=422)
    assert "top-level" in refused["detail"]
    refused = await pin(client, moderator, held["id"], status=409)
    assert "published" in refused["detail"]
    await pin(client, moderator, reply["id"], pinned=False)  # unpinning what is not pinned: nothing to do
    for caller in (author, other_moderator):
        await pin(client, caller, top["id"], status=403)
    anonymous = await client.put(f"/api/v1/comments/{top['id']}/pin", json={"pinned": True})
    assert anonymous.status_code == 401
    await pin(client, moderator, 999_999_999, status=404)
    bad = await client.put(
        f"/api/v1/comments/{top['id']}/pin", json={"pinned": "yes"}, headers=moderator.auth
    )
    assert bad.status_code == 400 and bad.json()["field"] == "pinned"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM comments WHERE pinned AND id = ANY($1::bigint[])",
            [top["id"], reply["id"], held["id"]],
        )
        == 0
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM audit_log WHERE action IN ('pin', 'unpin') AND comment_id = ANY($1::bigint[])",
            [top["id"], reply["id"], held["id"]],
        )
        == 0
    )


async def test_a_pinned_comment_that_is_deleted_loses_its_pin(client, db):
    site, article = await make_site(db), unique_name("article")
    author, replier = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    older, newer = [await post_comment(client, author, site, article) for _ in range(2)]
    await post_comment(client, replier, site, article, parent_id=newer["id"])  # keeps its place shown
    await pin(client, moderator, newer["id"])
    since = await last_event(db)

    deleted = await client.delete(f"/api/v1/comments/{newer['id']}", headers=author.auth)
    assert deleted.status_code in (200, 204), deleted.text

    # Served at once: the deleted comment's place, with its reply, is back in its own order.
    shown = (await read_thread(client, site, article))["comments"]
    assert [(c["id"], c["pinned"]) for c in shown] == [(older["id"], False), (newer["id"], False)]
    assert await db.fetchval("SELECT pinned FROM comments WHERE id = $1", newer["id"]) is False
    assert [(t, d) for t, _, d in await events_since(db, site, since) if t.startswith("comment.unpin")] == [
        ("comment.unpinned", {"id": newer["id"], "pinned": False})
    ]
