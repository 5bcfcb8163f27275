"""Posting, threading, visibility, editing, deleting, voting and reporting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import (
    make_moderator,
    make_site,
    post_comment,
    read_thread,
    register,
    unique_name,
)


@pytest.fixture
async def site(db):
    return await make_site(db, origins=("https://news.example",))


@pytest.fixture
def article():
    return unique_name("article")


async def test_an_article_nobody_commented_on_is_an_empty_thread(client, site):
    thread = await read_thread(client, site, "never-commented")
    assert thread == {
        "article": {
            "key": "never-commented",
            "title": None,
            "url": None,
            "comment_count": 0,
            "locked": False,
        },
        "comments": [],
        "next_cursor": None,
    }


async def test_an_unknown_site_is_404(client):
    response = await client.get("/api/v1/sites/no-such-site/comments", params={"article": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_posting_creates_the_article_and_publishes_on_a_post_moderated_site(client, site, article, db):
    reader = await register(client, display_name="Zoé")
    comment = await post_comment(client, reader, site, article, "Très **intéressant**, merci.")
    assert comment["status"] == "approved"
    assert comment["body_html"] == "<p>Très <strong>intéressant</strong>, merci.</p>"
    assert comment["body"] == "Très **intéressant**, merci."
    assert comment["author"] == {"id": reader.id, "username": reader.username, "display_name": "Zoé"}
    assert comment["parent_id"] is None and comment["depth"] == 0 and comment["replies"] == []
    assert comment["score"] == 0 and comment["edited_at"] is None
    assert comment["created_at"].endswith("Z")
    thread = await read_thread(client, site, article)
    assert thread["article"] == {
        "key": article,
        "title": None,
        "url": None,
        "comment_count": 1,
        "locked": False,
    }
    # The source is for its author and moderators only.
    assert "body" not in thread["comments"][0]
    assert await db.fetchval("SELECT client_hash IS NOT NULL FROM comments WHERE id = $1", comment["id"])


async def test_title_and_url_are_kept_from_a_moderators_first_comment(client, db, site, article):
    moderator = await make_moderator(client, db, site)
    await post_comment(client, moderator, site, article, article_title="First title")
    await post_comment(client, moderator, site, article, article_title="Another title")
    assert (await read_thread(client, site, article))["article"]["title"] == "First title"


async def test_an_article_url_outside_the_site_origins_is_refused(client, site, article, db):
    reader = await register(client)
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        json={"article": article, "body": "hello", "article_url": "https://evil.example/page"},
        headers=reader.auth,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "article_url"
    assert await db.fetchval("SELECT count(*) FROM articles WHERE key = $1", article) == 0


async def test_posting_needs_a_signed_in_reader(client, site, article):
    response = await client.post(f"/api/v1/sites/{site}/comments", json={"article": article, "body": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_pre_moderation_holds_the_comment_visible_to_its_author_only(client, db, article):
    site = await make_site(db, moderation="pre")
    author, other = await register(client), await register(client)
    comment = await post_comment(client, author, site, article, "En attente")
    assert comment["status"] == "pending"
    own_view = await read_thread(client, site, article, author)
    assert [c["id"] for c in own_view["comments"]] == [comment["id"]]
    assert own_view["comments"][0]["status"] == "pending"
    assert own_view["article"]["comment_count"] == 0
    assert (await read_thread(client, site, article, other))["comments"] == []
    assert (await read_thread(client, site, article))["comments"] == []
    moderator = await make_moderator(client, db, site)
    assert [c["id"] for c in (await read_thread(client, site, article, moderator))["comments"]] == [
        comment["id"]
    ]


async def test_rejected_and_spam_comments_are_shown_to_moderators_and_their_author_only(
    client, db, site, article
):
    author, other = await register(client), await register(client)
    rejected = await post_comment(client, author, site, article, "rejected one")
    spam = await post_comment(client, author, site, article, "spam one")
    await db.execute("UPDATE comments SET status = 'rejected' WHERE id = $1", rejected["id"])
    await db.execute("UPDATE comments SET status = 'spam' WHERE id = $1", spam["id"])
    assert (await read_thread(client, site, article, other))["comments"] == []
    assert (await read_thread(client, site, article))["comments"] == []
    own = (await read_thread(client, site, article, author))["comments"]
    assert [(c["id"], c["status"]) for c in own] == [(rejected["id"], "rejected"), (spam["id"], "spam")]
    moderator = await make_moderator(client, db, site)
    seen = (await read_thread(client, site, article, moderator))["comments"]
    assert {(c["id"], c["status"]) for c in seen} == {(rejected["id"], "rejected"), (spam["id"], "spam")}
    assert all(c["body"] for c in seen)


async def test_replies_nest_under_their_parent_oldest_first(client, site, article):
    alice, bob = await register(client), await register(client)
    top = await post_comment(client, alice, site, article, "top")
    first = await post_comment(client, bob, site, article, "first reply", parent_id=top["id"])
    second = await post_comment(client, alice, site, article, "second reply", parent_id=top["id"])
    nested = await post_comment(client, alice, site, article, "nested", parent_id=first["id"])
    assert (first["depth"], nested["depth"]) == (1, 2)
    thread = await read_thread(client, site, article)
    [root] = thread["comments"]
    assert [r["id"] for r in root["replies"]] == [first["id"], second["id"]]
    assert [r["id"] for r in root["replies"][0]["replies"]] == [nested["id"]]
    assert thread["article"]["comment_count"] == 4


async def test_a_parent_from_another_article_is_refused(client, site, article, db):
    reader = await register(client)
    elsewhere = await post_comment(client, reader, site, unique_name("other-article"))
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        json={"article": article, "body": "misplaced", "parent_id": elsewhere["id"]},
        headers=reader.auth,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "parent_id"
    assert await db.fetchval("SELECT count(*) FROM comments WHERE body = 'misplaced'") == 0


@pytest.mark.parametrize("parent_state", ["missing", "deleted", "pending of someone else"])
async def test_a_parent_the_replier_cannot_see_is_refused(client, db, article, parent_state):
    site = await make_site(db, moderation="pre" if parent_state.startswith("pending") else "post")
    author, replier = await register(client), await register(client)
    parent_id = 2**40
    if parent_state != "missing":
        parent_id = (await post_comment(client, author, site, article))["id"]
    if parent_state == "deleted":
        await client.delete(f"/api/v1/comments/{parent_id}", headers=author.auth)
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        json={"article": article, "body": "reply", "parent_id": parent_id},
        headers=replier.auth,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "parent_id"


async def test_replies_beyond_the_maximum_depth_attach_to_the_deepest_allowed_ancestor(client, db, article):
    site = await make_site(db, max_depth=2)
    reader = await register(client)
    chain = [await post_comment(client, reader, site, article, "depth 0")]
    for n in range(1, 5):
        chain.append(
            await post_comment(client, reader, site, article, f"asked {n}", parent_id=chain[-1]["id"])
        )
    assert [c["depth"] for c in chain] == [0, 1, 2, 2, 2]
    assert [c["parent_id"] for c in chain[2:]] == [chain[1]["id"]] * 3


async def test_with_a_maximum_depth_of_zero_replies_become_top_level(client, db, article):
    site = await make_site(db, max_depth=0)
    reader = await register(client)
    top = await post_comment(client, reader, site, article)
    reply = await post_comment(client, reader, site, article, parent_id=top["id"])
    assert (reply["parent_id"], reply["depth"]) == (None, 0)


async def test_a_locked_article_refuses_new_comments(client, db, site, article):
    reader = await register(client)
    await post_comment(client, reader, site, article)
    await db.execute("UPDATE articles SET locked = true WHERE key = $1", article)
    response = await client.post(
        f"/api/v1/sites/{site}/comments", json={"article": article, "body": "too late"}, headers=reader.auth
    )
    assert response.status_code == 403
    assert "closed" in response.json()["detail"]
    thread = await read_thread(client, site, article)
    assert thread["article"]["locked"] is True and thread["article"]["comment_count"] == 1


async def test_deleting_a_comment_with_replies_leaves_a_placeholder(client, site, article):
    alice, bob = await register(client), await register(client)
    top = await post_comment(client, alice, site, article, "parent")
    reply = await post_comment(client, bob, site, article, "child", parent_id=top["id"])
    assert (await client.delete(f"/api/v1/comments/{top['id']}", headers=alice.auth)).status_code == 204
    thread = await read_thread(client, site, article)
    [placeholder] = thread["comments"]
    assert placeholder["id"] == top["id"]
    assert placeholder["author"] is None and placeholder["body_html"] == ""
    assert placeholder["status"] == "deleted"
    assert [r["id"] for r in placeholder["replies"]] == [reply["id"]]
    assert thread["article"]["comment_count"] == 1


async def test_deleting_a_comment_without_replies_makes_it_disappear(client, site, article):
    alice = await register(client)
    comment = await post_comment(client, alice, site, article)
    assert (await client.delete(f"/api/v1/comments/{comment['id']}", headers=alice.auth)).status_code == 204
    thread = await read_thread(client, site, article)
    assert thread["comments"] == [] and thread["article"]["comment_count"] == 0
    # Deleting again changes nothing.
    again = await client.delete(f"/api/v1/comments/{comment['id']}", headers=alice.auth)
    assert again.status_code == 404
    assert (await read_thread(client, site, article))["article"]["comment_count"] == 0


async def test_only_the_author_or_a_moderator_may_delete(client, db, site, article):
    alice, mallory = await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    refused = await client.delete(f"/api/v1/comments/{comment['id']}", headers=mallory.auth)
    assert refused.status_code == 403
    moderator = await make_moderator(client, db, site)
    assert (
        await client.delete(f"/api/v1/comments/{comment['id']}", headers=moderator.auth)
    ).status_code == 204
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "deleted"


async def test_a_moderator_of_another_site_is_nobody_here(client, db, site, article):
    alice = await register(client)
    comment = await post_comment(client, alice, site, article)
    outsider = await make_moderator(client, db, await make_site(db))
    response = await client.delete(f"/api/v1/comments/{comment['id']}", headers=outsider.auth)
    assert response.status_code == 403


async def test_editing_rerenders_and_marks_the_comment_edited(client, site, article):
    alice = await register(client)
    comment = await post_comment(client, alice, site, article, "first version")
    response = await client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body": "second *version*"}, headers=alice.auth
    )
    assert response.status_code == 200
    edited = response.json()
    assert edited["body_html"] == "<p>second <em>version</em></p>"
    assert edited["body"] == "second *version*"
    assert edited["edited_at"] is not None
    [shown] = (await read_thread(client, site, article))["comments"]
    assert (
        shown["body_html"] == "<p>second <em>version</em></p>" and shown["edited_at"] == edited["edited_at"]
    )


async def test_only_the_author_may_edit(client, db, site, article):
    alice, bob = await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    moderator = await make_moderator(client, db, site)
    for other in (bob, moderator):
        response = await client.patch(
            f"/api/v1/comments/{comment['id']}", json={"body": "hijack"}, headers=other.auth
        )
        assert response.status_code == 403
    assert await db.fetchval("SELECT body FROM comments WHERE id = $1", comment["id"]) == comment["body"]


async def test_editing_after_the_window_is_refused(client, db, site, article):
    alice = await register(client)
    comment = await post_comment(client, alice, site, article)
    await db.execute(
        "UPDATE comments SET created_at = now() - $2::interval WHERE id = $1",
        comment["id"],
        timedelta(minutes=16),
    )
    response = await client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body": "late"}, headers=alice.auth
    )
    assert response.status_code == 403
    assert "15 minutes" in response.json()["detail"]


async def test_votes_move_the_score_once_per_reader(client, site, article):
    alice, bob, carol = await register(client), await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    url = f"/api/v1/comments/{comment['id']}/vote"
    assert (await client.put(url, json={"value": 1}, headers=bob.auth)).json() == {"score": 1}
    assert (await client.put(url, json={"value": 1}, headers=bob.auth)).json() == {"score": 1}
    assert (await client.put(url, json={"value": -1}, headers=carol.auth)).json() == {"score": 0}
    assert (await client.put(url, json={"value": -1}, headers=bob.auth)).json() == {"score": -2}
    assert (await client.put(url, json={"value": 0}, headers=carol.auth)).json() == {"score": -1}
    [seen] = (await read_thread(client, site, article, bob))["comments"]
    assert (seen["score"], seen["my_vote"]) == (-1, -1)


async def test_voting_on_ones_own_comment_is_refused(client, site, article):
    alice = await register(client)
    comment = await post_comment(client, alice, site, article)
    response = await client.put(
        f"/api/v1/comments/{comment['id']}/vote", json={"value": 1}, headers=alice.auth
    )
    assert response.status_code == 403


@pytest.mark.parametrize("value", [2, -2, "up", None, 0.5, [1]])
async def test_a_vote_is_minus_one_zero_or_one(client, site, article, value):
    alice, bob = await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    response = await client.put(
        f"/api/v1/comments/{comment['id']}/vote", json={"value": value}, headers=bob.auth
    )
    assert response.status_code == 400
    assert response.json()["field"] == "value"


async def test_a_pending_comment_cannot_be_voted_on_or_seen_by_others(client, db, article):
    site = await make_site(db, moderation="pre")
    alice, bob = await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    response = await client.put(f"/api/v1/comments/{comment['id']}/vote", json={"value": 1}, headers=bob.auth)
    assert response.status_code == 404


async def test_reports_are_stored_once_per_reader(client, db, site, article):
    alice, bob = await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    url = f"/api/v1/comments/{comment['id']}/reports"
    first = await client.post(url, json={"reason": "abuse", "note": "insulte"}, headers=bob.auth)
    assert first.status_code == 202
    second = await client.post(url, json={"reason": "spam"}, headers=bob.auth)
    assert second.status_code == 409
    rows = await db.fetch("SELECT user_id, reason, note FROM reports WHERE comment_id = $1", comment["id"])
    assert [tuple(r) for r in rows] == [(bob.id, "abuse", "insulte")]


async def test_reporting_ones_own_comment_or_with_an_unknown_reason_is_refused(client, site, article):
    alice, bob = await register(client), await register(client)
    comment = await post_comment(client, alice, site, article)
    url = f"/api/v1/comments/{comment['id']}/reports"
    assert (await client.post(url, json={"reason": "spam"}, headers=alice.auth)).status_code == 403
    bad = await client.post(url, json={"reason": "boring"}, headers=bob.auth)
    assert bad.status_code == 400 and bad.json()["field"] == "reason"


async def test_export_includes_the_readers_comments_and_erasure_anonymises_them(client, site, article, db):
    alice = await register(client)
    comment = await post_comment(client, alice, site, article, "mes mots")
    exported = (await client.get("/api/v1/me/export", headers=alice.auth)).json()
    assert [(c["id"], c["site"], c["article"], c["body"]) for c in exported["comments"]] == [
        (comment["id"], site, article, "mes mots")
    ]
    erased = await client.request(
        "DELETE", "/api/v1/me", json={"password": alice.password}, headers=alice.auth
    )
    assert erased.status_code == 204
    [shown] = (await read_thread(client, site, article))["comments"]
    assert shown["author"] is None and shown["body_html"] == "<p>mes mots</p>"
    assert await db.fetchval("SELECT client_hash FROM comments WHERE id = $1", comment["id"]) is None


async def test_preview_renders_exactly_as_posting_would(client):
    reader = await register(client)
    source = "**gras** <script>x</script> [lien](javascript:alert(1))"
    response = await client.post("/api/v1/preview", json={"body": source}, headers=reader.auth)
    assert response.status_code == 200
    assert response.json() == {
        "body_html": "<p><strong>gras</strong> &lt;script&gt;x&lt;/script&gt; [lien](javascript:alert(1))</p>"
    }
    assert (await client.post("/api/v1/preview", json={"body": source})).status_code == 401
