"""Reader accounts and tokens, end to end against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import string
import time

import pytest
from argon2 import extract_parameters

from commentsvc.domain.accounts import REFRESH_GRACE
from commentsvc.domain.names import look_alike_key
from tests.builders import PASSWORD, make_site, post_comment, register, registration, unique_name
from tests.conftest import open_client


async def test_register_returns_the_user_and_a_token_pair(client):
    body = registration(display_name="Zoé Martin")
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201
    data = response.json()
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 15 * 60
    assert data["user"]["username"] == body["username"]
    assert data["user"]["display_name"] == "Zoé Martin"
    assert data["user"]["email"] == body["email"]
    assert data["user"]["roles"] == []
    assert data["user"]["created_at"].endswith("Z")
    assert data["access_token"].count(".") == 2
    assert data["refresh_token"] and "." not in data["refresh_token"]


async def test_display_name_defaults_to_the_username(client):
    reader = await register(client)
    me = (await client.get("/api/v1/me", headers=reader.auth)).json()
    assert me["display_name"] == reader.username


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "x" * 33}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "émile"}, "username"),
        ({"username": "evil\u202egnp"}, "username"),
        ({"username": 42}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "x" * 250 + "@example.org"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "p" * 257}, "password"),
        ({"password": "qwertyuiop"}, "password"),
        ({"password": "Password123"}, "password"),
        ({"display_name": "x" * 65}, "display_name"),
        ({"display_name": "bad\u200bname"}, "display_name"),
        ({"display_name": "right\u202eto-left"}, "display_name"),
        ({"is_admin": True}, "is_admin"),
    ],
)
async def test_registration_validation_errors_name_the_field(client, db, overrides, field):
    body = registration(**overrides)
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["status_code"] == 400
    assert error["field"] == field
    assert field in error["detail"]
    assert await db.fetchval("SELECT count(*) FROM users WHERE email = $1", str(body["email"])) == 0


async def test_an_email_with_nul_is_refused_before_it_reaches_postgresql(client):
    response = await client.post("/api/v1/auth/register", json=registration(email="a\x00b@example.org"))
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "email"


@pytest.mark.parametrize("missing", ["username", "email", "password"])
async def test_registration_without_a_required_field_is_refused(client, missing):
    body = registration()
    del body[missing]
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == missing


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"username": "x"', b"null", "\ufeff{}".encode()])
async def test_registration_with_a_body_that_is_not_a_json_object_is_refused(client, raw):
    response = await client.post(
        "/api/v1/auth/register", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"]


async def test_taken_username_or_email_is_a_conflict_whatever_the_case(client, db):
    reader = await register(client)
    same_name = registration(username=reader.username.upper())
    same_email = registration(email=reader.email.upper())
    first = await client.post("/api/v1/auth/register", json=same_name)
    second = await client.post("/api/v1/auth/register", json=same_email)
    assert first.status_code == second.status_code == 409
    # One generic sentence: it does not say which of the two is taken.
    assert first.json() == second.json()
    assert "username or email" in first.json()["detail"]
    count = await db.fetchval("SELECT count(*) FROM users WHERE lower(username) = lower($1)", reader.username)
    assert count == 1


async def test_a_username_that_looks_like_a_taken_one_is_a_conflict(client):
    reader = await register(client, username=unique_name("bill"))
    look_alike = reader.username.replace("l", "I").replace("0", "O")
    response = await client.post("/api/v1/auth/register", json=registration(username=look_alike))
    assert response.status_code == 409
    # The same generic sentence as for a taken username or email.
    assert response.json()["detail"] == "That username or email cannot be used; choose another or sign in."


async def test_the_stored_username_key_is_the_domains_look_alike_key(db):
    """The migration computes the key of ASCII usernames in SQL: it must agree with the domain."""
    alphabet = string.ascii_letters + string.digits + "_.-"
    usernames = [alphabet[i : i + 32] for i in range(0, len(alphabet) - 3, 8)] + ["rnm", "Ill1i", "O0o"]
    tx = db.transaction()
    await tx.start()
    try:
        stored = {
            username: await db.fetchval(
                """INSERT INTO users (username, email, display_name, password_hash)
                   VALUES ($1, $1 || '@key.example.org', $1, 'x') RETURNING username_skeleton""",
                username,
            )
            for username in usernames
        }
    finally:
        await tx.rollback()
    assert stored == {username: look_alike_key(username) for username in usernames}


async def test_readers_may_share_a_display_name_or_show_their_own_username(client):
    """Namesakes are common among real people; the @username beside each name tells them apart."""
    first = await register(client, display_name="Marie Martin")
    second = await client.post("/api/v1/auth/register", json=registration(display_name="Marie Martin"))
    assert second.status_code == 201, second.text
    username = unique_name("zoe")
    own = await client.post(
        "/api/v1/auth/register", json=registration(username=username, display_name=username.upper())
    )
    assert own.status_code == 201, own.text
    assert own.json()["user"]["display_name"] == username.upper()
    assert first.username != second.json()["user"]["username"]


async def test_login_with_username_or_email_in_any_case(client):
    reader = await register(client)
    for login in (reader.username, reader.email, reader.email.upper(), reader.username.upper()):
        response = await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200, login
        assert response.json()["user"]["id"] == reader.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "login"),
        ({"login": "someone"}, "password"),
        ({"login": "", "password": PASSWORD}, "login"),
        ({"login": "someone", "password": ""}, "password"),
        ({"login": "someone", "password": "p" * 257}, "password"),
        ({"login": ["someone"], "password": PASSWORD}, "login"),
        ({"login": "some\x00one", "password": PASSWORD}, "login"),
    ],
)
async def test_login_validation_errors_name_the_field(client, body, field):
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field


async def test_failed_login_looks_the_same_for_unknown_account_and_wrong_password(client):
    reader = await register(client)

    async def attempt(login: str) -> tuple[float, dict, int]:
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/auth/login", json={"login": login, "password": "wrong password!"}
        )
        return time.perf_counter() - started, response.json(), response.status_code

    # In turn, so that whatever else the machine does weighs on both alike; each one's fastest
    # attempt is its own cost, the others' work only ever adds to it.
    wrong_password, unknown_user = [], []
    for _ in range(7):
        wrong_password.append(await attempt(reader.username))
        unknown_user.append(await attempt(unique_name("ghost")))
    assert {status for _, _, status in wrong_password + unknown_user} == {401}
    assert {str(body) for _, body, _ in wrong_password + unknown_user} == {str(wrong_password[0][1])}
    # Both verify a real argon2 hash, so their times are of the same order.
    ratio = min(t for t, _, _ in unknown_user) / min(t for t, _, _ in wrong_password)
    assert 0.5 < ratio < 2.0, ratio


async def test_failed_login_carries_www_authenticate(client):
    response = await client.post(
        "/api/v1/auth/login", json={"login": "nobody-here", "password": "whatever123"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_refresh_rotates_the_pair_and_spends_the_old_token(client):
    reader = await register(client)
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    assert response.status_code == 200
    pair = response.json()
    assert pair["refresh_token"] != reader.refresh_token
    assert pair["user"]["id"] == reader.id
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(client):
    reader = await register(client)
    first = (await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})).json()
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    # A thief replays the first, spent, token.
    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    assert replay.status_code == 401
    # Every descendant is dead now, the legitimate holder's newest token included.
    newest = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401


async def test_concurrent_refreshes_of_one_token_all_get_the_same_new_refresh_token(client, db):
    reader = await register(client)
    body = {"refresh_token": reader.refresh_token}
    responses = await asyncio.gather(*(client.post("/api/v1/auth/refresh", json=body) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
    [successor] = {r.json()["refresh_token"] for r in responses}
    assert successor != reader.refresh_token
    for response in responses:
        me = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
        assert me.status_code == 200
    # The sign-in lives on: nothing was revoked, and the new token rotates as usual.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL", reader.id
        )
        == 0
    )
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": successor})).status_code == 200


async def test_reusing_a_refresh_token_after_the_grace_window_revokes_the_family(client, db):
    reader = await register(client)
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    assert rotated.status_code == 200
    # As if the grace window had passed since the token was spent.
    await db.execute(
        "UPDATE refresh_tokens SET spent_at = spent_at - $2::interval WHERE user_id = $1 AND spent_at IS NOT NULL",
        reader.id,
        REFRESH_GRACE,
    )
    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    assert replay.status_code == 401
    newest = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert newest.status_code == 401


async def test_reuse_does_not_touch_other_sign_ins_of_the_same_account(client):
    reader = await register(client)
    other = (
        await client.post("/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD})
    ).json()
    await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert response.status_code == 200


async def test_unknown_refresh_token_is_refused(client):
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up-token"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_logout_revokes_the_family(client, db):
    reader = await register(client)
    rotated = (await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})).json()
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert response.status_code == 204
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    ).status_code == 401
    live = await db.fetchval(
        "SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL", reader.id
    )
    assert live == 0


async def test_refresh_tokens_are_stored_only_as_hashes(client, db):
    reader = await register(client)
    hashes = await db.fetch("SELECT token_hash FROM refresh_tokens WHERE user_id = $1", reader.id)
    assert len(hashes) == 1
    assert reader.refresh_token.encode() not in bytes(hashes[0]["token_hash"])
    assert len(hashes[0]["token_hash"]) == 32


async def test_me_needs_a_token(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_me_shows_roles(client, db):
    reader = await register(client)
    site_id = await db.fetchval(
        "INSERT INTO sites (slug, name) VALUES ($1, 'Roles test') RETURNING id",
        unique_name("site").lower().replace("_", "-"),
    )
    await db.execute(
        "INSERT INTO user_roles (user_id, role, site_id) VALUES ($1, 'moderator', $2)", reader.id, site_id
    )
    await db.execute("INSERT INTO user_roles (user_id, role) VALUES ($1, 'admin')", reader.id)
    roles = (await client.get("/api/v1/me", headers=reader.auth)).json()["roles"]
    slug = await db.fetchval("SELECT slug FROM sites WHERE id = $1", site_id)
    assert roles == [{"role": "admin", "site": None}, {"role": "moderator", "site": slug}]


async def test_export_holds_the_profile_and_the_sign_ins(client):
    reader = await register(client)
    await client.post("/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD})
    response = await client.get("/api/v1/me/export", headers=reader.auth)
    assert response.status_code == 200
    data = response.json()
    assert data["user"]["username"] == reader.username
    assert data["user"]["email"] == reader.email
    assert len(data["sessions"]) == 2
    assert all(session["active"] for session in data["sessions"])
    assert "password" not in response.text


async def test_export_holds_the_readers_votes_and_reports(client, db):
    site = await make_site(db)
    article = unique_name("article")
    author = await register(client)
    liked = await post_comment(client, author, site, article)
    reported = await post_comment(client, author, site, article)
    reader = await register(client)
    vote = await client.put(f"/api/v1/comments/{liked['id']}/vote", json={"value": -1}, headers=reader.auth)
    assert vote.status_code == 200, vote.text
    report = await client.post(
        f"/api/v1/comments/{reported['id']}/reports",
        json={"reason": "off_topic", "note": "Rien à voir"},
        headers=reader.auth,
    )
    assert report.status_code == 202, report.text
    data = (await client.get("/api/v1/me/export", headers=reader.auth)).json()
    [voted] = data["votes"]
    assert voted == {
        "comment_id": liked["id"],
        "site": site,
        "article": article,
        "value": -1,
        "voted_at": voted["voted_at"],
    }
    [filed] = data["reports"]
    assert filed == {
        "comment_id": reported["id"],
        "site": site,
        "article": article,
        "reason": "off_topic",
        "note": "Rien à voir",
        "created_at": filed["created_at"],
    }
    # The author's own export does not hold what others did to their comments.
    theirs = (await client.get("/api/v1/me/export", headers=author.auth)).json()
    assert theirs["votes"] == theirs["reports"] == []


async def test_erasing_the_account_needs_the_password(client, db):
    reader = await register(client)
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": "not the password"}, headers=reader.auth
    )
    assert response.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM users WHERE id = $1", reader.id) == 1


async def test_erasing_the_account_removes_it_and_its_sessions(client, db):
    reader = await register(client)
    response = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=reader.auth)
    assert response.status_code == 204
    assert await db.fetchval("SELECT count(*) FROM users WHERE id = $1", reader.id) == 0
    assert await db.fetchval("SELECT count(*) FROM refresh_tokens WHERE user_id = $1", reader.id) == 0
    # The still-unexpired access token no longer opens anything.
    assert (await client.get("/api/v1/me", headers=reader.auth)).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD})
    assert login.status_code == 401
    # The name is free again.
    assert (
        await client.post("/api/v1/auth/register", json=registration(username=reader.username))
    ).status_code == 201


async def test_login_rehashes_when_the_parameters_change(client, settings, db):
    reader = await register(client)
    before = extract_parameters(await db.fetchval("SELECT password_hash FROM users WHERE id = $1", reader.id))
    stronger = dataclasses.replace(settings, argon2_time_cost=before.time_cost + 1)
    async with open_client(stronger) as other:
        response = await other.post(
            "/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD}
        )
    assert response.status_code == 200
    after = extract_parameters(await db.fetchval("SELECT password_hash FROM users WHERE id = $1", reader.id))
    assert after.time_cost == before.time_cost + 1
    assert after.memory_cost >= 19456
    again = await client.post("/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD})
    assert again.status_code == 200
