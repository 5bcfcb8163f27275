"""A refusal a reader can meet names its `reason` (with the facts a client needs to word it: a
ban's end, the edit window), and a signed-in reader's thread page says what they may do there,
so the widget writes both in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commentsvc.errors import Reason
from tests.builders import (
    PASSWORD,
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    registration,
    unique_name,
)

ARTICLE = "a1"


async def ban(client, site, moderator, reader, days=None) -> None:
    body = {"user_id": reader.id, "reason": "hors sujet", **({"days": days} if days else {})}
    response = await client.post(f"/api/v1/sites/{site}/bans", json=body, headers=moderator.auth)
    assert response.status_code == 201, response.text


def refused(response, status: int, code: str, reason: Reason) -> dict:
    assert response.status_code == status, response.text
    error = response.json()
    assert (error["code"], error["reason"]) == (code, reason.value), error
    return error


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"password": "qwertyuiop"}, "password", Reason.COMMON_PASSWORD),
        ({"display_name": "Zoé @admin"}, "display_name", Reason.AT_SIGN),
        ({"display_name": "Zoé\u200b"}, "display_name", Reason.FORBIDDEN_CHARACTERS),
    ],
)
async def test_a_refused_registration_names_its_field_and_reason(client, changes, field, reason):
    response = await client.post("/api/v1/auth/register", json=registration(**changes))
    assert refused(response, 400, "invalid", reason)["field"] == field


async def test_a_name_taken_or_passing_for_a_username_says_so(client):
    first = await register(client)
    again = await client.post("/api/v1/auth/register", json=registration(username=first.username.upper()))
    refused(again, 409, "conflict", Reason.TAKEN)
    namesake = await client.post("/api/v1/auth/register", json=registration(display_name=first.username))
    assert refused(namesake, 400, "invalid", Reason.LOOKS_LIKE_A_USERNAME)["field"] == "display_name"


async def test_sign_in_refresh_and_an_erased_account_say_why_they_fail(client, site):
    reader = await register(client)
    wrong = await client.post(
        "/api/v1/auth/login", json={"login": reader.username, "password": "not " + PASSWORD}
    )
    refused(wrong, 401, "unauthorized", Reason.BAD_CREDENTIALS)
    await client.post("/api/v1/auth/logout", json={"refresh_token": reader.refresh_token})
    spent = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    refused(spent, 401, "unauthorized", Reason.SESSION_ENDED)
    erased = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=reader.auth)
    assert erased.status_code == 204
    posting = await client.post(
        f"/api/v1/sites/{site}/comments",
        json={"article": ARTICLE, "body": "Encore là ?"},
        headers=reader.auth,
    )
    refused(posting, 401, "unauthorized", Reason.ACCOUNT_GONE)


@pytest.fixture
async def site(db) -> str:
    return await make_site(db, edit_window_minutes=1)


async def test_a_ban_says_until_when_and_a_permanent_one_says_no_end(client, db, site):
    moderator = await make_moderator(client, db, site)
    author, reader, banned_for_good = [await register(client) for _ in range(3)]
    theirs = await post_comment(client, author, site, ARTICLE)
    await ban(client, site, moderator, reader, days=3)
    await ban(client, site, moderator, banned_for_good)
    for action in ("post", "vote", "report"):
        answer = await act(client, site, theirs["id"], reader, action)
        error = refused(answer, 403, "forbidden", Reason.BANNED)
        assert error["ban_reason"] == "hors sujet"
        until = datetime.fromisoformat(error["banned_until"])
        assert 3 * 86400 - 60 < (until - datetime.now(UTC)).total_seconds() <= 3 * 86400, error
        forever = refused(
            await act(client, site, theirs["id"], banned_for_good, action), 403, "forbidden", Reason.BANNED
        )
        assert "banned_until" not in forever and forever["ban_reason"] == "hors sujet"


async def act(client, site, comment_id, reader, action):
    if action == "post":
        body = {"article": ARTICLE, "body": "Et pourtant."}
        return await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=reader.auth)
    if action == "vote":
        return await client.put(f"/api/v1/comments/{comment_id}/vote", json={"value": 1}, headers=reader.auth)
    return await client.post(
        f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam"}, headers=reader.auth
    )


async def test_a_locked_article_and_a_second_report_say_so(client, db, site):
    moderator = await make_moderator(client, db, site)
    author, reader = await register(client), await register(client)
    theirs = await post_comment(client, author, site, ARTICLE)
    assert (await act(client, site, theirs["id"], reader, "report")).status_code == 202
    refused(await act(client, site, theirs["id"], reader, "report"), 409, "conflict", Reason.ALREADY_REPORTED)
    locking = await client.put(
        f"/api/v1/sites/{site}/articles/lock",
        json={"article": ARTICLE, "locked": True},
        headers=moderator.auth,
    )
    assert locking.status_code == 200
    refused(await act(client, site, theirs["id"], reader, "post"), 403, "forbidden", Reason.LOCKED)


async def test_an_edit_too_late_says_the_window_and_one_of_a_removed_comment_says_removed(client, db, site):
    author, reporter = await register(client), await register(client)
    late = await post_comment(client, author, site, ARTICLE)
    await db.execute(
        "UPDATE comments SET created_at = now() - interval '2 minutes' WHERE id = $1", late["id"]
    )
    answer = await client.patch(
        f"/api/v1/comments/{late['id']}", json={"body": "Trop tard."}, headers=author.auth
    )
    assert refused(answer, 403, "forbidden", Reason.EDIT_WINDOW_CLOSED)["edit_window_minutes"] == 1

    removed = await post_comment(client, author, site, ARTICLE)
    await act(client, site, removed["id"], reporter, "report")
    moderator = await make_moderator(client, db, site)
    [item] = [
        i for i in await moderation_queue(client, site, moderator) if i["comment"]["id"] == removed["id"]
    ]
    await decide(client, moderator, item["item_id"], action="reject", reason="hors sujet")
    answer = await client.patch(
        f"/api/v1/comments/{removed['id']}", json={"body": "Corrigé."}, headers=author.auth
    )
    refused(answer, 403, "forbidden", Reason.REMOVED)


async def test_control_characters_in_a_comment_say_forbidden_characters(client, site):
    reader = await register(client)
    body = {"article": ARTICLE, "body": "Un caractère privé \ue000 ici."}
    answer = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=reader.auth)
    assert refused(answer, 400, "invalid", Reason.FORBIDDEN_CHARACTERS)["field"] == "body"


async def test_a_signed_in_readers_thread_says_what_they_may_do_and_an_anonymous_one_says_nothing(
    client, db, site
):
    moderator = await make_moderator(client, db, site)
    reader, banned = await register(client), await register(client)
    await ban(client, site, moderator, banned, days=2)
    empty = unique_name("article")
    for article in (ARTICLE, empty):
        assert "viewer" not in await read_thread(client, site, article)
        mine = await read_thread(client, site, article, reader)
        assert mine["viewer"] == {"can_post": True, "banned": False, "edit_window_minutes": 1}
        theirs = (await read_thread(client, site, article, banned))["viewer"]
        assert (theirs["can_post"], theirs["banned"]) == (False, True)
        assert datetime.fromisoformat(theirs["banned_until"]) > datetime.now(UTC)
        assert theirs["ban_reason"] == "hors sujet"
    await post_comment(client, reader, site, ARTICLE)
    locking = await client.put(
        f"/api/v1/sites/{site}/articles/lock",
        json={"article": ARTICLE, "locked": True},
        headers=moderator.auth,
    )
    assert locking.status_code == 200
    closed = (await read_thread(client, site, ARTICLE, reader))["viewer"]
    assert (closed["can_post"], closed["banned"]) == (False, False)
