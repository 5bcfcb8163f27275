"""The pages an account e-mail's link opens: served by the service in the reader's language, with
no inline code, never framed, cached or referred; opening one spends nothing."""

from __future__ import annotations

import json

import pytest

from commentsvc.i18n import catalogue
from tests.account_mail import link_in, mail_about
from tests.builders import register


@pytest.mark.parametrize("page", ["reset", "verify"])
async def test_an_account_page_is_locked_down(client, page):
    response = await client.get(f"/account/{page}", params={"token": "1.abc", "lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert '<html lang="en" dir="ltr">' in response.text
    assert "<script>" not in response.text and "style=" not in response.text
    assert f'data-page="{page}"' in response.text


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ({}, {}, "fr"),
        ({}, {"Accept-Language": "en-US,en;q=0.8"}, "en"),
        ({"lang": "fr"}, {"Accept-Language": "en"}, "fr"),
        ({"lang": "de"}, {"Accept-Language": "pl, en;q=0.5"}, "de"),
        ({"lang": "xx"}, {"Accept-Language": "ja, nl;q=0.5"}, "nl"),
        ({"lang": "ar"}, {}, "ar"),
        ({"lang": '"><b>'}, {}, "fr"),
    ],
)
async def test_an_account_page_speaks_the_links_language_else_the_browsers(client, query, headers, lang):
    response = await client.get("/account/reset", params=query, headers=headers)
    assert response.status_code == 200
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in response.text and "<script>" not in response.text
    # Its words, in its language, as data the page's script reads.
    assert json.dumps(catalogue("account", lang)["resetTitle"], ensure_ascii=False) in response.text


@pytest.mark.parametrize("name", ["account.js", "account.css"])
async def test_the_pages_assets_are_served_and_nothing_else_is(client, name):
    assert (await client.get(f"/account/{name}")).status_code == 200
    assert (await client.get("/account/reset.html")).status_code in (400, 404)
    assert (await client.get("/account/..%2f..%2fpyproject.toml")).status_code in (400, 404)


async def test_opening_a_link_spends_nothing_and_its_button_does(client, mailbox):
    reader = await register(client)
    link = link_in(await mail_about(mailbox, reader.email, "Confirmez votre adresse e-mail"))
    for _ in range(2):  # a mail scanner, then the reader
        assert (await client.get(link.url.removeprefix("http://commentsvc.test"))).status_code == 200
    assert (await client.post("/api/v1/auth/email/verify", json={"token": link.token})).status_code == 204
