"""A reader changes their password, display name and address; a site may hold the comments of
accounts whose address is not verified."""

from __future__ import annotations

import pytest

from tests.account_mail import link_in, mail_about
from tests.builders import (
    PASSWORD,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)

NEW_PASSWORD = "another long passphrase, this one"
CHANGED_FR = "Votre mot de passe a été modifié"


async def sign_in(client, login: str, password: str = PASSWORD) -> dict:
    response = await client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def refreshes(client, refresh_token: str) -> bool:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def verify(client, mailbox, reader) -> None:
    token = link_in(await mail_about(mailbox, reader.email, "Confirmez votre adresse e-mail")).token
    assert (await client.post("/api/v1/auth/email/verify", json={"token": token})).status_code == 204


async def test_a_new_password_ends_every_other_session_and_keeps_the_callers(client, mailbox):
    reader = await register(client)
    laptop, phone = await sign_in(client, reader.username), await sign_in(client, reader.email)
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {laptop['access_token']}"},
    )
    assert response.status_code == 204, response.text
    assert await refreshes(client, laptop["refresh_token"])
    assert not await refreshes(client, phone["refresh_token"])
    assert not await refreshes(client, reader.refresh_token)
    await sign_in(client, reader.username, NEW_PASSWORD)
    told = await mail_about(mailbox, reader.email, CHANGED_FR)
    assert "/account/reset?lang=fr" in told.part("plain")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"current_password": "not my password", "new_password": NEW_PASSWORD}, 403, "current_password"),
        ({"current_password": PASSWORD, "new_password": "qwertyuiop"}, 400, "new_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, 400, "new_password"),
        ({"current_password": PASSWORD}, 400, "new_password"),
        ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "sessions": "keep"}, 400, "sessions"),
    ],
)
async def test_a_refused_password_change_names_the_field_and_changes_nothing(client, body, status, field):
    reader = await register(client)
    other = await sign_in(client, reader.username)
    response = await client.post("/api/v1/me/password", json=body, headers=reader.auth)
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert await refreshes(client, other["refresh_token"])
    await sign_in(client, reader.username, PASSWORD)


async def test_a_password_change_needs_a_sign_in(client):
    response = await client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401


async def test_a_display_name_is_changed_at_once(client):
    reader = await register(client)
    response = await client.patch("/api/v1/me", json={"display_name": "  Zoé Martin "}, headers=reader.auth)
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Zoé Martin"
    # Empty: the username again; one's own username, in any case, is no look-alike of another's.
    for name, shown in (("", reader.username), (reader.username.upper(), reader.username.upper())):
        response = await client.patch("/api/v1/me", json={"display_name": name}, headers=reader.auth)
        assert response.json()["display_name"] == shown


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("zoé@maison", "at_sign"),
        ("zoé＠maison", "at_sign"),
        ("bad\u200bname", "forbidden_characters"),
        ("right\u202eto-left", "forbidden_characters"),
        ("Eve\r\nBcc: victim@example.org", "forbidden_characters"),
        ("x" * 65, None),
        (42, None),
    ],
)
async def test_a_display_name_goes_through_the_registration_checks(client, name, reason):
    reader = await register(client)
    response = await client.patch("/api/v1/me", json={"display_name": name}, headers=reader.auth)
    assert (response.status_code, response.json()["field"], response.json().get("reason")) == (
        400,
        "display_name",
        reason,
    )
    me = (await client.get("/api/v1/me", headers=reader.auth)).json()
    assert me["display_name"] == reader.username


async def test_a_display_name_that_looks_like_another_readers_username_is_refused(client):
    other, reader = await register(client, username=unique_name("admin")), await register(client)
    look_alike = other.username.replace("a", "а", 1).upper()  # a Cyrillic а, and capitals
    response = await client.patch("/api/v1/me", json={"display_name": look_alike}, headers=reader.auth)
    assert (response.status_code, response.json()["reason"]) == (400, "looks_like_a_username")


async def test_a_new_address_takes_effect_once_verified_and_the_old_one_is_told(client, mailbox):
    reader = await register(client)
    new = f"{unique_name('moved')}@example.org"
    response = await client.patch("/api/v1/me", json={"email": new}, headers=reader.auth)
    assert response.status_code == 200, response.text
    assert (response.json()["email"], response.json()["email_verified"]) == (reader.email, False)
    link = link_in(await mail_about(mailbox, new, "Confirmez votre nouvelle adresse e-mail"))
    assert link.page == "/account/verify"
    assert (await client.post("/api/v1/auth/email/verify", json={"token": link.token})).status_code == 204
    me = (await client.get("/api/v1/me", headers=reader.auth)).json()
    assert (me["email"], me["email_verified"]) == (new, True)
    told = await mail_about(mailbox, reader.email, "L'adresse de votre compte a changé")
    assert new in told.part("plain")
    await sign_in(client, new)
    # The old address no longer signs in, nor gets a reset link.
    old = await client.post("/api/v1/auth/login", json={"login": reader.email, "password": PASSWORD})
    assert old.status_code == 401


async def test_a_taken_address_is_a_conflict_that_does_not_say_whose(client, db):
    other, reader = await register(client), await register(client)
    response = await client.patch("/api/v1/me", json={"email": other.email.upper()}, headers=reader.auth)
    assert response.status_code == 409
    assert response.json()["reason"] == "taken"
    assert "username or email" in response.json()["detail"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM account_tokens WHERE user_id = $1 AND purpose = 'email'", reader.id
        )
        == 0
    )


async def test_an_address_taken_before_the_link_is_followed_stays_anothers(client, mailbox):
    reader, late = await register(client), unique_name("late")
    new = f"{late}@example.org"
    await client.patch("/api/v1/me", json={"email": new}, headers=reader.auth)
    link = link_in(await mail_about(mailbox, new, "Confirmez votre nouvelle adresse e-mail"))
    await register(client, username=late, email=new.upper())
    response = await client.post("/api/v1/auth/email/verify", json={"token": link.token})
    assert (response.status_code, response.json()["reason"]) == (409, "taken")
    assert (await client.get("/api/v1/me", headers=reader.auth)).json()["email"] == reader.email


async def test_a_bad_address_or_an_unknown_field_changes_nothing(client):
    reader = await register(client)
    for body, field in (
        ({"email": "not-an-address"}, "email"),
        ({"username": "renamed"}, "username"),
        ({}, None),
        ({"display_name": None, "email": None}, None),
    ):
        response = await client.patch("/api/v1/me", json=body, headers=reader.auth)
        assert (response.status_code, response.json().get("field")) == (400, field)
    me = (await client.get("/api/v1/me", headers=reader.auth)).json()
    assert (me["username"], me["email"]) == (reader.username, reader.email)


async def test_a_site_requiring_verified_addresses_holds_an_unverified_readers_comment(client, mailbox, db):
    site = await make_site(db, require_verified_email=True)
    moderator = await make_moderator(client, db, site)
    unverified, verified = await register(client), await register(client)
    await verify(client, mailbox, verified)
    held = await post_comment(client, unverified, site, "an-article")
    published = await post_comment(client, verified, site, "an-article")
    assert (held["status"], published["status"]) == ("pending", "approved")
    [item] = [i for i in await moderation_queue(client, site, moderator) if i["comment"]["id"] == held["id"]]
    assert item["held_because"] == ["unverified_email"]
    # Elsewhere, the default: nobody is held for it.
    elsewhere = await post_comment(client, unverified, await make_site(db), "an-article")
    assert elsewhere["status"] == "approved"
