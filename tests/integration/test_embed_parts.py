"""A first view downloads what shows the thread, and nothing more: the widget's document names its
style, the thread's script and the thread's part of the catalogue; the forms' script and words
are only listed (data-forms), for the widget to fetch when a reader first needs a form."""

from __future__ import annotations

import html
import json
import re

import pytest

from commentsvc.i18n import catalogue
from tests.builders import make_site

ORIGIN = "https://news.example"


async def document(client, db, lang: str) -> str:
    site = await make_site(db, origins=(ORIGIN,))
    response = await client.get(
        "/embed", params={"site": site, "article": "a", "origin": ORIGIN, "lang": lang}
    )
    assert response.status_code == 200, response.text
    return response.text


def unhashed(path: str) -> str:
    return re.sub(r"\.[0-9a-f]{12}\.", ".", path)


def catalogue_in(script: str) -> dict:
    """The catalogue part a words script carries (its last statement's object)."""
    return json.loads(re.search(r'(?:MESSAGES\.\w+=|addWords\("\w+",)(\{.*\})\)?;\n$', script, re.S).group(1))


@pytest.mark.parametrize("lang", ["fr", "ar"])
async def test_the_document_names_only_what_shows_the_thread(client, db, lang):
    text = await document(client, db, lang)
    named = [unhashed(path) for path in re.findall(r'(?:href|src)="(/widget/[^"]+)"', text)]
    assert named == ["/widget/widget.css", f"/widget/words-{lang}.js", "/widget/widget.js"]
    thread = (await client.get(re.search(r'src="(/widget/words-[^"]+)"', text).group(1))).text
    # The thread's words hold none of the forms' (bar the group both share, the refusals).
    forms_only = catalogue("widget_forms", lang).keys() - {"errors"}
    assert not forms_only & catalogue_in(thread).keys()


@pytest.mark.parametrize("lang", ["fr", "ar"])
async def test_the_forms_parts_are_listed_for_later_and_served(client, db, lang):
    text = await document(client, db, lang)
    listed = html.unescape(re.search(r'data-forms="([^"]+)"', text).group(1)).split(" ")
    assert [unhashed(path) for path in listed] == ["/widget/forms.js", f"/widget/words-forms-{lang}.js"]
    script, words = [await client.get(path) for path in listed]
    assert script.status_code == words.status_code == 200
    assert "var FORMS" in script.text
    # The forms' part joins the thread's (words.js is already on the page): the popup's group is not the widget's.
    assert words.text.startswith(f'addWords("{lang}",{{')
    expected = {key: said for key, said in catalogue("widget_forms", lang).items() if key != "popup"}
    assert catalogue_in(words.text) == expected
