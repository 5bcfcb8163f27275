"""The widget's document in the reader's language: the first of the tags the loader sends that
the service speaks, else the site's language."""

from __future__ import annotations

import pytest

from tests.builders import make_site

ORIGIN = "https://news.example"


@pytest.mark.parametrize(
    ("tags", "site_language", "chosen"),
    [
        ("de-CH,de,en", "fr", "de"),
        ("ja,pt-BR", "en", "pt"),
        ("ja,zh-TW", "en", "en"),  # none the service speaks: the site's
        ("", "en", "en"),
        ("", "fr", "fr"),
    ],
)
async def test_the_document_speaks_the_readers_first_language_else_the_sites(
    client, db, tags, site_language, chosen
):
    site = await make_site(db, origins=(ORIGIN,), language=site_language)
    response = await client.get(
        "/embed", params={"site": site, "article": "a", "origin": ORIGIN, "lang": tags}
    )
    assert response.status_code == 200, response.text
    assert f'<html lang="{chosen}" dir="ltr">' in response.text
    assert f'data-lang="{chosen}"' in response.text and f"/widget/words-{chosen}." in response.text
