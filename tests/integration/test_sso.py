"""Host-site SSO: a host site (a process of its own, with its own session cookie) signs its
reader's token with the secret the command line gave its owner; the reader's account is made on
the first visit, kept up to date by later tokens, and belongs to that site alone."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.builders import PASSWORD, make_site, register, unique_name
from tests.host_site import host_site, host_token, rotate_secret
from tests.served import commentsvc, service_environment

pytestmark = pytest.mark.slow  # a host site's process, and the command line, per module


@pytest.fixture(scope="module")
async def news(db):
    return await make_site(db)


@pytest.fixture(scope="module")
def secret(settings, news):
    return rotate_secret(settings, news)


@pytest.fixture(scope="module")
def host(settings, news, secret):
    with host_site(settings, news, secret, settings.public_url) as site:
        yield site


async def sso(client, site: str, token: str):
    return await client.post("/api/v1/auth/sso", json={"site": site, "token": token})


def refused(response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["reason"] == "sso_refused"


async def test_a_readers_first_visit_makes_their_account_and_later_visits_find_it(client, news, host):
    name = unique_name("Amélie ")
    host.sign_in(name)
    first = await sso(client, news, host.token())
    assert first.status_code == 200, first.text
    user = first.json()["user"]
    assert user["display_name"] == name and user["username"].startswith(f"{news}:")
    again = await sso(client, news, host.token())
    assert again.json()["user"]["id"] == user["id"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"})
    assert me.json()["username"] == user["username"]
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_a_later_token_updates_the_name(client, news, host):
    host.sign_in(unique_name("Before "))
    first = await sso(client, news, host.token())
    user_id = first.json()["user"]["id"]
    host.rename("After the wedding")
    renamed = await sso(client, news, host.token())
    assert renamed.json()["user"]["id"] == user_id
    assert renamed.json()["user"]["display_name"] == "After the wedding"
    auth = {"Authorization": f"Bearer {renamed.json()['access_token']}"}
    assert (await client.get("/api/v1/me", headers=auth)).json()["display_name"] == "After the wedding"


async def test_the_address_and_avatar_follow_the_latest_token_and_take_no_local_accounts_address(
    client, db, news, secret
):
    local = await register(client)
    sub, now = unique_name("sub"), int(time.time())
    first = await sso(
        client,
        news,
        host_token(secret, news, sub, email=local.email, avatar="https://img.example/a.png", iat=now - 20),
    )
    assert first.status_code == 200, first.text
    assert first.json()["user"]["email"] == local.email
    # The local reader still signs in with their address, into their own account.
    login = await client.post("/api/v1/auth/login", json={"login": local.email, "password": PASSWORD})
    assert login.json()["user"]["id"] == local.id
    later = host_token(secret, news, sub, email="new@example.org", iat=now)
    assert (await sso(client, news, later)).json()["user"]["email"] == "new@example.org"
    stored = await db.fetchrow("SELECT email, avatar_url FROM sso_accounts WHERE subject = $1", sub)
    assert (stored["email"], stored["avatar_url"]) == ("new@example.org", None)
    # A token older than the one already seen changes nothing.
    await sso(client, news, host_token(secret, news, sub, email="old@example.org", iat=now - 10))
    assert await db.fetchval("SELECT email FROM sso_accounts WHERE subject = $1", sub) == "new@example.org"


async def test_a_name_breaking_the_display_name_rules_leaves_the_username_shown(client, news, secret):
    taken = await register(client)
    for name in (f"Jean @{taken.username}", taken.username, "Zoé\u200b"):
        answer = await sso(client, news, host_token(secret, news, unique_name("sub"), name=name))
        user = answer.json()["user"]
        assert answer.status_code == 200 and user["display_name"] == user["username"], name


async def test_a_token_for_another_site_is_refused(client, db, settings, news, host):
    other = await make_site(db)
    other_secret = rotate_secret(settings, other)
    host.sign_in(unique_name("Reader "))
    refused(await sso(client, other, host.token()))
    # Signed with the other site's own secret, but for this one.
    refused(await sso(client, news, host_token(other_secret, other, "7")))
    refused(await sso(client, news, host_token(other_secret, news, "7")))


async def test_an_old_secret_works_for_a_day_after_rotation_then_is_refused(client, db, settings):
    site = await make_site(db)
    old = rotate_secret(settings, site)
    new = rotate_secret(settings, site)
    with host_site(settings, site, old, settings.public_url) as host:
        host.sign_in(unique_name("Reader "))
        assert (await sso(client, site, host.token())).status_code == 200
        await db.execute(
            """UPDATE sso_secrets SET replaced_at = now() - interval '24 hours 1 second'
               WHERE secret = $1""",
            old,
        )
        refused(await sso(client, site, host.token()))
    assert (await sso(client, site, host_token(new, site))).status_code == 200


async def test_an_expired_or_long_lived_token_is_refused(client, news, secret):
    now = int(time.time())
    refused(await sso(client, news, host_token(secret, news, iat=now - 700, exp=now - 100)))
    refused(await sso(client, news, host_token(secret, news, iat=now, exp=now + 601)))
    refused(await sso(client, news, host_token(secret, news, iat=now + 3600, exp=now + 3700)))
    # Replayed after its exp: refused, though it was taken before. (Seconds to spare for its first
    # use: on a busy machine a one-second token can expire before the service reads it.)
    expires = now + 5
    token = host_token(secret, news, iat=now - 590, exp=expires)
    assert (await sso(client, news, token)).status_code == 200
    while time.time() <= expires:  # the token's own clock is what expires it
        await asyncio.sleep(0.1)
    refused(await sso(client, news, token))


async def test_a_site_without_a_secret_or_unknown_refuses_every_token(client, db):
    site = await make_site(db)
    refused(await sso(client, site, host_token("x" * 43, site)))
    refused(await sso(client, "no-such-site", host_token("x" * 43, "no-such-site")))


async def test_an_sso_account_posts_on_its_site_and_nowhere_else(client, db, news, secret):
    pair = (await sso(client, news, host_token(secret, news, unique_name("sub")))).json()
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    mine = await client.post(
        f"/api/v1/sites/{news}/comments", json={"article": "a", "body": "hi"}, headers=auth
    )
    assert mine.status_code == 201, mine.text
    elsewhere = await make_site(db)
    there = await client.post(
        f"/api/v1/sites/{elsewhere}/comments", json={"article": "a", "body": "hi"}, headers=auth
    )
    assert there.status_code == 403 and there.json()["reason"] == "other_site"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1", elsewhere
        )
        == 0
    )


async def test_an_sso_account_cannot_sign_in_with_a_password(client, news, secret):
    user = (await sso(client, news, host_token(secret, news, unique_name("sub")))).json()["user"]
    for login in (user["username"], user["username"].upper()):
        answer = await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert answer.status_code == 401 and answer.json()["reason"] == "bad_credentials"


async def test_local_usernames_never_take_the_sso_form(client, news):
    answer = await client.post(
        "/api/v1/auth/register",
        json={
            "username": f"{news}:abcdefghijkl",
            "email": f"{unique_name()}@example.org",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 400 and answer.json()["field"] == "username"


async def test_two_sites_readers_with_the_same_id_are_two_accounts(client, db, settings, news, secret):
    other = await make_site(db)
    other_secret = rotate_secret(settings, other)
    here = (await sso(client, news, host_token(secret, news, "same-id"))).json()["user"]
    there = (await sso(client, other, host_token(other_secret, other, "same-id"))).json()["user"]
    assert here["id"] != there["id"] and here["username"] != there["username"]


def test_site_sso_shows_the_state_but_never_the_secret(settings, news, secret):
    env = service_environment(settings)
    shown = commentsvc("site", "sso", news, env=env)
    assert shown.returncode == 0 and "SSO secret set" in shown.stdout and secret not in shown.stdout
    fresh = commentsvc("site", "sso", "no-such-site", env=env)
    assert fresh.returncode == 1 and "no-such-site" in fresh.stderr
