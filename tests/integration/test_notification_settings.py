"""A reader's choice of notification e-mails, and the one-click links that stop them (RFC 8058):
no sign-in, a form or no body, a GET that only asks, a link altered or forged refused."""

from __future__ import annotations

import httpx
import pytest

from commentsvc.config import Settings
from commentsvc.domain.letters.unsubscribe import Kind, unsubscribe_url
from commentsvc.domain.links import Links
from tests.builders import Reader, register

ROUTE = "/api/v1/me/notifications"


async def settings_of(client: httpx.AsyncClient, reader: Reader) -> dict:
    response = await client.get(ROUTE, headers=reader.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def choose(client: httpx.AsyncClient, reader: Reader, **chosen: object) -> dict:
    response = await client.put(ROUTE, json=chosen, headers=reader.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def test_notifications_are_off_until_chosen_and_kept_as_chosen(client):
    reader = await register(client)
    assert await settings_of(client, reader) == {"replies": False, "moderation": "off"}
    assert await choose(client, reader, replies=True, moderation="digest") == {
        "replies": True,
        "moderation": "digest",
    }
    assert await settings_of(client, reader) == {"replies": True, "moderation": "digest"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"replies": "yes", "moderation": "off"}, "replies"),
        ({"replies": True, "moderation": "hourly"}, "moderation"),
        ({"replies": True, "moderation": 5}, "moderation"),
        ({"replies": True}, "moderation"),
        ({"replies": True, "moderation": "off", "digest_hour": 8}, "digest_hour"),
    ],
)
async def test_a_bad_choice_is_refused_naming_the_field_and_changes_nothing(client, body, field):
    reader = await register(client)
    await choose(client, reader, replies=False, moderation="instant")
    response = await client.put(ROUTE, json=body, headers=reader.auth)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert await settings_of(client, reader) == {"replies": False, "moderation": "instant"}


async def test_notifications_need_a_sign_in(client):
    assert (await client.get(ROUTE)).status_code == 401
    assert (await client.put(ROUTE, json={"replies": True, "moderation": "off"})).status_code == 401


async def test_an_erased_accounts_token_no_longer_reads_them(client):
    reader = await register(client)
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": reader.password}, headers=reader.auth
    )
    assert response.status_code == 204, response.text
    response = await client.get(ROUTE, headers=reader.auth)
    assert response.status_code == 401 and response.json()["reason"] == "account_gone"


async def test_opening_an_unsubscribe_link_asks_and_changes_nothing(client, settings: Settings):
    reader = await register(client)
    await choose(client, reader, replies=True, moderation="instant")
    link = unsubscribe_url(Links(settings), reader.id, Kind.MODERATION)
    page = await client.get(link)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "alerte" in page.text and f'action="{link.replace("&", "&amp;")}"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert await settings_of(client, reader) == {"replies": True, "moderation": "instant"}


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"List-Unsubscribe": "One-Click"}},
        {"files": {"List-Unsubscribe": (None, "One-Click")}},  # multipart/form-data, RFC 8058's SHOULD
        {},
    ],
    ids=["form", "multipart", "empty"],
)
async def test_one_click_stops_that_kind_of_email_only(client, settings: Settings, body):
    reader = await register(client)
    await choose(client, reader, replies=True, moderation="digest")
    response = await client.post(unsubscribe_url(Links(settings), reader.id, Kind.MODERATION), **body)
    assert response.status_code == 200, response.text
    assert await settings_of(client, reader) == {"replies": True, "moderation": "off"}


async def test_unsubscribing_twice_is_done_all_the_same(client, settings: Settings):
    reader = await register(client)
    await choose(client, reader, replies=True, moderation="off")
    link = unsubscribe_url(Links(settings), reader.id, Kind.REPLIES)
    assert (await client.post(link)).status_code == 200
    assert (await client.post(link)).status_code == 200
    assert await settings_of(client, reader) == {"replies": False, "moderation": "off"}


async def test_an_altered_or_forged_link_is_refused_and_changes_nothing(client, settings: Settings):
    reader = await register(client)
    await choose(client, reader, replies=True, moderation="instant")
    links = Links(settings)
    token = links.url("", token="")  # the query's shape, to cut the token out of a link
    genuine = unsubscribe_url(links, reader.id, Kind.REPLIES)[len(token) :]
    altered = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    # Signed, but for another purpose: a token of one kind of link never passes for another's.
    other_purpose = links.sign("reset", {"sub": str(reader.id), "kind": "replies"})
    for bad in (altered, other_purpose, "not-a-token"):
        response = await client.post("/unsubscribe", params={"token": bad})
        assert response.status_code == 400, bad
        assert response.json()["reason"] == "bad_link" and response.json()["field"] == "token"
        assert (await client.get("/unsubscribe", params={"token": bad})).status_code == 400
    response = await client.post("/unsubscribe")
    assert response.status_code == 400 and response.json()["field"] == "token"
    assert await settings_of(client, reader) == {"replies": True, "moderation": "instant"}


async def test_other_writes_still_refuse_a_form(client):
    reader = await register(client)
    response = await client.put(ROUTE, data={"replies": "true", "moderation": "off"}, headers=reader.auth)
    assert response.status_code == 415
