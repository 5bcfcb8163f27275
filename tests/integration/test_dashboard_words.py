"""The moderation pages' words as served: the pages name the service's languages (and which are
written right to left), and each language's catalogue is fetched on its own."""

from __future__ import annotations

from commentsvc.i18n import LANGUAGES, catalogue


async def test_the_pages_name_the_languages_their_words_js_may_fetch(client):
    for path in ("/moderate", "/moderate/decide?token=x"):
        page = (await client.get(path)).text
        assert f'data-languages="{" ".join(LANGUAGES)}" data-right-to-left="ar"' in page


async def test_each_language_s_catalogue_is_served_alone_and_no_other_name(client):
    answer = await client.get("/moderate/words-ar.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == catalogue("dashboard", "ar")
    for name in ("words-xx.json", "words-.json", "words-fr.js", "../i18n/dashboard/fr.json"):
        assert (await client.get(f"/moderate/{name}")).status_code in (400, 404), name
