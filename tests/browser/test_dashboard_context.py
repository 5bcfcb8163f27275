"""What the dashboard tells a moderator, in Chromium, in English and French: each item's article
and why it is before them, readable reports, an audit log of usernames and links, all of it
redrawn in the other language on the toggle, nothing wider than a phone, nothing but the form
before signing in, and nothing axe finds serious."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.dashboard import (
    LANGUAGES,
    WORDS,
    a_queue,
    choose_language,
    open_dashboard,
    serious_violations,
    sign_in,
)
from tests.builders import (
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)

ORIGIN = "https://news.example"
TWO_LINKS = "Voir https://a.example et https://b.example"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_each_item_links_its_article_says_why_it_is_there_and_reads_its_reports(
    browser, live_url, db, artifacts, lang
):
    words = WORDS[lang]
    site = await make_site(db, origins=(ORIGIN,), max_links=1)
    path = f"/2026/{unique_name('tiers-lieu')}"
    elsewhere = f"//evil.example/{unique_name('page')}"
    async with httpx.AsyncClient(base_url=live_url) as api:
        author, other, reporter = [await register(api) for _ in range(3)]
        moderator = await make_moderator(api, db, site)
        held = await post_comment(api, author, site, path, TWO_LINKS)
        published = await post_comment(api, other, site, elsewhere, "Un avis tranché")
        reported = await api.post(
            f"/api/v1/comments/{published['id']}/reports",
            json={"reason": "off_topic", "note": "Rien à voir"},
            headers=reporter.auth,
        )
    assert held["status"] == "pending" and reported.status_code == 202

    context, page, _ = await sign_in(browser, live_url, moderator, lang)
    items = page.locator("li.item")
    await items.nth(1).wait_for()
    held_item, reported_item = items.filter(has_text="https://a.example"), items.filter(has_text="Un avis")
    # The article a key names on the site's first origin; a key that would lead elsewhere is not a link.
    article = held_item.locator("a.article")
    assert (await article.inner_text(), await article.get_attribute("href")) == (path, ORIGIN + path)
    assert await held_item.locator(".why").inner_text() == words["why_links"]
    off_site = reported_item.locator("a.article")
    assert (await off_site.inner_text(), await off_site.get_attribute("href")) == (elsewhere, None)
    assert await reported_item.locator(".why").inner_text() == words["why_reports"]
    assert await reported_item.locator(".reports li").all_inner_texts() == [
        words["off_topic"].format("Rien à voir", reporter.username)
    ]
    await page.screenshot(path=str(artifacts / f"dashboard-context-{lang}.png"), full_page=True)
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_audit_log_shows_usernames_and_links_the_articles(browser, live_url, db, lang):
    words = WORDS[lang]
    path = f"/2026/{unique_name('tiers-lieu')}"
    queue = await a_queue(live_url, db, "Hors sujet ?", article=path, origins=(ORIGIN,))
    author, moderator, [comment] = queue.author, queue.moderator, queue.comments
    async with httpx.AsyncClient(base_url=live_url) as api:
        [item] = await moderation_queue(api, queue.site, moderator)
        await decide(api, moderator, item["item_id"], action="reject", reason="Hors sujet")

    context, page, _ = await sign_in(browser, live_url, moderator, lang)
    await page.get_by_role("status").wait_for()  # the queue is empty
    await page.get_by_role("button", name=words["log"]).click()
    row = page.locator("#entries tr").first
    await row.wait_for()
    assert await row.locator("td.who").inner_text() == f"@{moderator.username}"
    assert await row.locator("td.what").inner_text() == words["rejected"]
    assert await row.locator("td.target").inner_text() == " · ".join(
        [path, words["comment"].format(comment["id"]), f"@{author.username}"]
    )
    assert await row.locator("td.target a").get_attribute("href") == ORIGIN + path
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_switching_the_language_redraws_the_items_the_log_and_the_status(browser, live_url, db, lang):
    other_lang = "fr" if lang == "en" else "en"
    words, other = WORDS[lang], WORDS[other_lang]
    queue = await a_queue(
        live_url, db, f"{TWO_LINKS} (1)", f"{TWO_LINKS} (2)", moderation="post", max_links=1
    )
    context, page, _ = await sign_in(browser, live_url, queue.moderator, lang)
    items = page.locator("li.item")
    await items.nth(1).wait_for()
    await page.keyboard.press("a")
    status = page.get_by_role("status")
    await status.filter(has_text=words["decided_approve"]).wait_for()

    await choose_language(page, other_lang)
    await status.filter(has_text=other["decided_approve"]).wait_for()
    decided, waiting = items.nth(0), items.nth(1)
    assert await decided.locator(".outcome").inner_text() == other["decided_approve"]
    for item in (decided, waiting):
        assert await item.locator(".kind").inner_text() == other["held"]
        assert await item.locator(".why").inner_text() == other["why_links"]
    assert (await waiting.locator(".history").inner_text()).startswith(other["history"])
    await waiting.get_by_role("button", name=other["approve"], exact=True).wait_for()

    await page.get_by_role("button", name=other["log"]).click()
    when = page.locator("#entries td.when").first
    await when.wait_for()
    assert await page.locator("#entries td.what").inner_text() == other["approved"]
    assert await when.get_attribute("data-label") == other["when"]
    await choose_language(page, lang)
    await page.locator("#entries td.what", has_text=words["approved"]).wait_for()
    assert await when.get_attribute("data-label") == words["when"]
    assert await page.locator("html").get_attribute("lang") == lang
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_nothing_is_wider_than_a_360_px_phone(browser, live_url, db, artifacts, lang):
    words = WORDS[lang]
    long_key = "/" + "un-tiers-lieu-pour-les-rassembler-tous" * 12
    long_word = "Un mot très long : " + "a" * 300
    queue = await a_queue(live_url, db, long_word, "Un second commentaire", article=long_key)
    context, page, _ = await sign_in(
        browser, live_url, queue.moderator, lang, viewport={"width": 360, "height": 780}
    )
    items = page.locator("li.item")
    await items.nth(1).wait_for()
    await items.first.get_by_role("textbox").fill("Motif-sans-espace-" * 20)
    await page.keyboard.press("Enter")
    await page.locator("li.item.decided").wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.screenshot(path=str(artifacts / f"dashboard-360-queue-{lang}.png"), full_page=True)

    await page.get_by_role("button", name=words["log"]).click()
    target = page.locator("#entries td.target").first
    await target.wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    # Each value under its column's name, the table's header row being gone.
    assert (
        await target.evaluate("cell => getComputedStyle(cell, '::before').content") == f'"{words["target"]}"'
    )
    await page.screenshot(path=str(artifacts / f"dashboard-360-log-{lang}.png"), full_page=True)
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_before_signing_in_there_is_only_the_form_and_the_language(browser, live_url, db, lang):
    words = WORDS[lang]
    site = await make_site(db)
    async with httpx.AsyncClient(base_url=live_url) as api:
        moderator = await make_moderator(api, db, site)
    context, page, _ = await open_dashboard(browser, live_url, lang)
    signed_in_only = [
        page.get_by_role("combobox", name=words["site"]),
        *(page.get_by_role("button", name=words[name]) for name in ("queue", "log", "sign_out")),
    ]
    await page.get_by_role("textbox").first.wait_for()
    assert [await control.is_visible() for control in signed_in_only] == [False] * 4
    assert await page.get_by_role("combobox", name=words["language"]).is_visible()
    await context.close()

    context, page, _ = await sign_in(browser, live_url, moderator, lang)
    signed_in_only = [
        page.get_by_role("combobox", name=words["site"]),
        *(page.get_by_role("button", name=words[name]) for name in ("queue", "log", "sign_out")),
    ]
    for control in signed_in_only:
        await control.wait_for()
    await page.get_by_role("button", name=words["sign_out"]).click()
    await page.get_by_role("textbox").first.wait_for()
    for control in signed_in_only:
        await control.wait_for(state="hidden")
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_dashboard_has_no_serious_accessibility_violation(browser, live_url, db, lang):
    words = WORDS[lang]
    queue = await a_queue(live_url, db, "Un premier commentaire", "Un second")
    context, page, _ = await open_dashboard(browser, live_url, lang)
    await page.get_by_role("textbox").first.wait_for()
    assert await serious_violations(page) == "[]"
    await context.close()

    context, page, _ = await sign_in(browser, live_url, queue.moderator, lang)
    await page.locator("li.item").nth(1).wait_for()
    await page.keyboard.press("a")
    await page.locator("li.item.decided").wait_for()
    await page.keyboard.press("/")  # the reason's hint on screen
    await page.locator("li.item.selected").get_by_text(words["hint"]).wait_for()
    assert await serious_violations(page) == "[]"
    await page.keyboard.press("Escape")
    await page.keyboard.press("b")
    await page.get_by_role("dialog").wait_for()
    assert await serious_violations(page) == "[]"
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name=words["log"]).click()
    await page.locator("#entries tr").first.wait_for()
    assert await serious_violations(page) == "[]"
    await context.close()
