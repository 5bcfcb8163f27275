"""The dashboard's Search view, in Chromium, in English and French: words found whatever their
accents and case, in every status, filters, "More", an author's name narrowing the search to
them, everything redrawn in the other language, the other views hidden, and nothing axe finds
serious."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.dashboard import LANGUAGES, choose_language, serious_violations, sign_in
from tests.builders import (
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)

WORDS = {
    "en": {
        "search": "Search",
        "go": "Search",
        "words": "Words (any case, with or without accents)",
        "status": "Status",
        "rejected": "rejected",
        "published": "published",
        "pending": "awaiting a decision",
        "found_two": "2 comments match.",
        "found_more": "The 20 most recent matching comments; more below.",
        "found_all": "21 comments match.",
        "more": "More",
        "record": "{}: their record",
        "reason": "Moderator's reason: Hors sujet",
        "queue": "Queue",
    },
    "fr": {
        "search": "Recherche",
        "go": "Rechercher",
        "words": "Mots (casse et accents indifférents)",
        "status": "État",
        "rejected": "rejeté",
        "published": "publié",
        "pending": "en attente de décision",
        "found_two": "2 commentaires correspondent.",
        "found_more": "Les 20 commentaires les plus récents qui correspondent ; d'autres plus bas.",
        "found_all": "21 commentaires correspondent.",
        "more": "Plus",
        "record": "{} : son dossier",
        "reason": "Motif du modérateur : Hors sujet",
        "queue": "File d'attente",
    },
}


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_moderator_searches_filters_and_pages_through_the_comments(
    browser, live_url, db, artifacts, lang
):
    other_lang = "fr" if lang == "en" else "en"
    words, other = WORDS[lang], WORDS[other_lang]
    site = await make_site(db, origins=("https://news.example",), moderation="pre")
    article = f"/2026/{unique_name('ecole')}"
    async with httpx.AsyncClient(base_url=live_url) as api:
        alice = await register(api, display_name="Alice Martin")
        bob = await register(api, display_name="Bob Durand")
        moderator = await make_moderator(api, db, site)
        pupil = await post_comment(api, alice, site, article, "Une **élève** brillante")
        strike = await post_comment(api, bob, site, article, "Les ÉLÈVES en grève")
        await post_comment(api, bob, site, article, "Sans rapport")
        items = {item["comment"]["id"]: item for item in await moderation_queue(api, site, moderator)}
        await decide(api, moderator, items[pupil["id"]]["item_id"], action="approve")
        await decide(api, moderator, items[strike["id"]]["item_id"], action="reject", reason="Hors sujet")

    context, page, _ = await sign_in(
        browser, live_url, moderator, lang, viewport={"width": 1100, "height": 900}
    )
    await page.locator("li.item").first.wait_for()
    await page.get_by_role("button", name=words["search"], exact=True).click()
    assert await page.locator("#queue").is_hidden()
    await page.get_by_label(words["words"]).fill("eleve")
    await page.get_by_label(words["words"]).press("Enter")
    status = page.get_by_role("status")
    await status.filter(has_text=words["found_two"]).wait_for()
    found = page.locator("#results li")
    assert await found.count() == 2
    rejected, published = found.nth(0), found.nth(1)
    assert await rejected.locator(".state").inner_text() == words["rejected"]
    assert await rejected.locator(".removal").inner_text() == words["reason"]
    assert await published.locator(".state").inner_text() == words["published"]
    assert await published.locator(".body strong").inner_text() == "élève"
    link = published.locator("a.article")
    assert (await link.inner_text(), await link.get_attribute("href")) == (
        article,
        "https://news.example" + article,
    )
    assert await serious_violations(page) == "[]"
    await page.screenshot(path=str(artifacts / f"dashboard-search-{lang}.png"), full_page=True)

    # A status narrows it, an author too; an author's name opens their record.
    await page.get_by_label(words["status"]).select_option(label=words["published"])
    await page.locator("#search-form").get_by_role("button", name=words["go"]).click()
    await found.filter(has_text="brillante").wait_for()
    await found.filter(has_text="grève").wait_for(state="detached")
    await page.get_by_label(words["status"]).select_option(value="")
    await page.locator("#search-form").get_by_role("button", name=words["go"]).click()
    await found.filter(has_text="grève").wait_for()
    await page.get_by_label(words["words"]).fill("")
    await page.locator("#search-form [name=author]").fill(str(bob.id))
    await page.locator("#search-form").get_by_role("button", name=words["go"]).click()
    await found.filter(has_text="Sans rapport").wait_for()
    await found.filter(has_text="brillante").wait_for(state="detached")
    assert await found.count() == 2

    # Redrawn in the other language, the filters kept.
    await choose_language(page, other_lang)
    await found.nth(0).locator(".state", has_text=other["pending"]).wait_for()
    assert await found.nth(1).locator(".state").inner_text() == other["rejected"]
    assert await page.get_by_label(other["status"]).input_value() == ""
    assert await serious_violations(page) == "[]"
    await choose_language(page, lang)
    await found.nth(0).get_by_role("button", name=words["record"].format("Bob Durand")).click()
    await page.locator("#author-title", has_text=f"@{bob.username}").wait_for()
    assert await page.locator("#search").is_hidden()
    await page.get_by_role("button", name=words["queue"]).click()
    assert await page.locator("#author").is_hidden() and await page.locator("#queue").is_visible()
    await context.close()


async def test_more_fetches_the_next_page_of_results(browser, live_url, db):
    site = await make_site(db)
    article = unique_name("article")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api)
        moderator = await make_moderator(api, db, site)
        for n in range(21):
            await post_comment(api, author, site, article, f"Réunion numéro {n}")
    words = WORDS["en"]
    context, page, _ = await sign_in(browser, live_url, moderator, "en")
    await page.get_by_role("button", name=words["search"], exact=True).click()
    await page.get_by_label(words["words"]).fill("réunion")
    await page.locator("#search-form").get_by_role("button", name=words["go"]).click()
    status = page.get_by_role("status")
    await status.filter(has_text=words["found_more"]).wait_for()
    await page.get_by_role("button", name=words["more"]).click()
    await status.filter(has_text=words["found_all"]).wait_for()
    found = page.locator("#results li")
    assert await found.count() == 21
    assert await found.nth(20).locator(".body").inner_text() == "Réunion numéro 0"
    assert await page.get_by_role("button", name=words["more"]).is_hidden()
    await context.close()
