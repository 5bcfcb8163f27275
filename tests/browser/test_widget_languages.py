"""The widget in each of its languages: its own words, axe-clean, Arabic laid out right to left
(replies indented on the right); and the language chosen as the loader says: the element's
data-lang, else the host page's lang, else the browser's, else the site's language."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from commentsvc.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue
from tests.browser.dashboard import serious_violations
from tests.browser.stage import ORIGIN, open_article
from tests.builders import make_site, post_comment, register

ARTICLE = "les-langues"


@pytest.fixture(scope="module")
async def thread(db, live_url) -> str:
    """A site whose article holds a comment and a reply to it; its slug."""
    site = await make_site(db, origins=(ORIGIN,))
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
        first = await post_comment(api, reader, site, ARTICLE, "Un premier avis.")
        await post_comment(api, reader, site, ARTICLE, "Une réponse.", parent_id=first["id"])
    return site


@pytest.fixture(scope="module")
async def page(browser):
    context = await browser.new_context(viewport={"width": 900, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    yield page
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_widget_speaks_each_language_and_stays_axe_clean(page, live_url, thread, artifacts, lang):
    words = catalogue("widget", lang)
    query = urlencode({"site": thread, "article": ARTICLE, "origin": ORIGIN, "lang": lang})
    await page.goto(f"{live_url}/embed?{query}")
    await page.locator("#count").filter(has_text=words["count"].strip()).wait_for()
    await page.get_by_role("button", name=words["add"]).wait_for()
    await page.locator("article.comment article.comment").wait_for()
    html = page.locator("html")
    assert (await html.get_attribute("lang"), await html.get_attribute("dir")) == (
        lang,
        "rtl" if lang == "ar" else "ltr",
    )
    assert await page.title() == words["title"]
    assert await serious_violations(page) == "[]"
    if lang == "ar":
        await page.screenshot(path=str(artifacts / "widget-ar.png"), full_page=True)
        direction = await html.evaluate("h => getComputedStyle(h).direction")
        # A reply sits further from the right edge than its parent: indented on the right.
        gaps = await page.locator("article.comment").evaluate_all(
            "list => list.map(a => innerWidth - a.getBoundingClientRect().right)"
        )
        assert direction == "rtl" and gaps[1] > gaps[0] + 4, gaps


@pytest.mark.parametrize(
    ("browser_locale", "query", "chosen"),
    [
        ("de-DE", "?lang=es&data_lang=ar", "ar"),  # data-lang first
        ("de-DE", "?lang=es", "es"),  # then the page's lang
        ("de-DE", "?lang=ja", "de"),  # then the browser's, when the service does not speak the page's
        ("ja-JP", "?lang=ja", DEFAULT_LANGUAGE),  # then the site's (French here)
        ("pt-BR", "?lang=ja&data_lang=xx", "pt"),  # a regional tag names its language
    ],
)
async def test_data_lang_beats_the_pages_lang_which_beats_the_browsers(
    browser, demo, browser_locale, query, chosen
):
    context, page, frame = await open_article(browser, demo, f"article.html{query}", locale=browser_locale)
    assert await frame.locator("html").get_attribute("lang") == chosen
    await frame.get_by_text(catalogue("widget", chosen)["count"].strip()).wait_for()
    await context.close()


@pytest.mark.parametrize("name", ["reset", "verify"])
async def test_an_account_page_in_arabic_is_right_to_left_and_axe_clean(page, live_url, name):
    await page.goto(f"{live_url}/account/{name}?lang=ar&token=1.abc")
    words = catalogue("account", "ar")
    await page.get_by_role("heading", name=words[f"{name}Title"]).wait_for()
    assert await page.locator("html").evaluate("h => getComputedStyle(h).direction") == "rtl"
    assert await page.title() == words[f"{name}Title"]
    assert await serious_violations(page) == "[]"
