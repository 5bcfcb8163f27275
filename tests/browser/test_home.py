"""The front page in Chromium, in French and in English: it says what this is, and its links
lead to the API documentation, the dashboard and the demo; no serious accessibility fault."""

from __future__ import annotations

import json

import pytest

# The browser's language, and what the page says in it: its first sentence, and its links.
LANGUAGES = {
    "fr": ("fr-FR", "commentsvc est un service de commentaires et de modération auto-hébergé", (
        "La documentation de l'API", "Le tableau de bord des modérateurs", "L'article de démonstration",
    )),
    "en": ("en-GB", "commentsvc is a self-hosted comment and moderation service", (
        "The API documentation", "The moderators' dashboard", "The demo article",
    )),
}  # fmt: skip
# Where each link leads: the path, and something the page there shows.
DESTINATIONS = (("/schema", "h1"), ("/moderate", "form"), ("/demo/article.html", "h1"))


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_front_page_speaks_the_browsers_language_and_leads_everywhere(browser, live_url, lang):
    from axe_playwright_python.async_playwright import Axe

    locale, about, links = LANGUAGES[lang]
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(f"{live_url}/")
    assert await page.locator("html").get_attribute("lang") == lang
    await page.get_by_text(about).wait_for()
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)[:2000]
    for name, (path, shown) in zip(links, DESTINATIONS, strict=True):
        await page.get_by_role("link", name=name).click()
        await page.wait_for_url(f"{live_url}{path}")
        await page.locator(shown).first.wait_for()
        await page.go_back()
    await context.close()
