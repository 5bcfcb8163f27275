"""The dashboard beyond French and English, in Chromium: German words for the queue and an item's
reasons, from the browser's language or the selector (kept across a reload); Arabic right to left,
its queue laid out from the right, with nothing axe finds serious; and each other language's words,
axe-clean too."""

from __future__ import annotations

import httpx
import pytest

from commentsvc.i18n import LANGUAGES, catalogue
from tests.browser.dashboard import choose_language, serious_violations, sign_in
from tests.builders import PASSWORD, make_moderator, make_site, post_comment, register

TWO_LINKS = "Voir https://a.example et https://b.example"


async def a_held_and_a_reported_item(live_url, db):
    """A site's moderator, with a comment held for its links and another reported as off topic."""
    site = await make_site(db, max_links=1)
    async with httpx.AsyncClient(base_url=live_url) as api:
        author, other, reporter = [await register(api) for _ in range(3)]
        moderator = await make_moderator(api, db, site)
        held = await post_comment(api, author, site, "tiers-lieu", TWO_LINKS)
        published = await post_comment(api, other, site, "tiers-lieu", "Un avis tranché")
        reported = await api.post(
            f"/api/v1/comments/{published['id']}/reports",
            json={"reason": "off_topic", "note": "Rien à voir"},
            headers=reporter.auth,
        )
    assert held["status"] == "pending" and reported.status_code == 202
    return moderator, reporter


async def test_in_german_the_queue_and_the_reasons_are_german(browser, live_url, db, artifacts):
    moderator, reporter = await a_held_and_a_reported_item(live_url, db)
    context, page, _ = await sign_in(browser, live_url, moderator, "de")
    items = page.locator("li.item")
    await items.nth(1).wait_for()
    held, reported = items.filter(has_text="https://a.example"), items.filter(has_text="Un avis")
    assert await page.locator("#queue-title").inner_text() == "Warten auf Entscheidung"
    assert await page.get_by_role("button", name="Warteschlange").is_visible()
    assert await held.locator(".kind").inner_text() == "Zurückgehalten"
    assert await held.locator(".why").inner_text() == "Warum: zu viele Links (2, über der Grenze von 1)"
    assert (await held.locator(".history").inner_text()).startswith(
        "0 freigegeben, 0 abgelehnt · Konto seit "
    )
    assert await reported.locator(".kind").inner_text() == "Gemeldet"
    assert await reported.locator(".why").inner_text() == "Warum: von Lesern gemeldet (1)"
    assert await reported.locator(".reports li").all_inner_texts() == [
        f"Themenfremd — Rien à voir (@{reporter.username})"
    ]
    await held.get_by_role("button", name="Freigeben", exact=True).click()
    await page.get_by_role("status").filter(has_text="Entschieden: freigegeben.").wait_for()
    assert await page.locator("html").get_attribute("lang") == "de"
    await page.screenshot(path=str(artifacts / "dashboard-de.png"), full_page=True)
    await context.close()


async def test_the_language_chosen_in_the_selector_is_kept_across_a_reload(browser, live_url, db):
    moderator, _ = await a_held_and_a_reported_item(live_url, db)
    context, page, _ = await sign_in(browser, live_url, moderator, "en")
    held = page.locator("li.item").filter(has_text="https://a.example")
    await held.locator(".kind", has_text="Held").wait_for()
    # Each language is offered by its own name.
    offered = await page.locator("#lang option").all_inner_texts()
    assert len(offered) == 9 and "Deutsch" in offered and "العربية" in offered
    await choose_language(page, "de")
    await held.locator(".kind", has_text="Zurückgehalten").wait_for()
    assert await page.get_by_role("combobox", name="Sprache").input_value() == "de"
    await page.reload()
    await held.locator(".why", has_text="Warum: zu viele Links").wait_for()
    assert await page.locator("#lang").input_value() == "de"
    await context.close()


async def test_in_arabic_the_dashboard_reads_right_to_left(browser, live_url, db, artifacts):
    moderator, _ = await a_held_and_a_reported_item(live_url, db)
    context, page, _ = await sign_in(browser, live_url, moderator, "ar")
    items = page.locator("li.item")
    await items.nth(1).wait_for()
    held = items.filter(has_text="https://a.example")
    html = page.locator("html")
    assert (await html.get_attribute("lang"), await html.get_attribute("dir")) == ("ar", "rtl")
    assert await held.locator(".kind").inner_text() == "محتجز"
    # The queue lays out from the right: the first button of a row on the right of the next one,
    # the item's text against its right edge.
    approve, reject = held.locator(".actions .approve"), held.locator(".actions .reject")
    approve_box, reject_box, item_box = (
        await approve.bounding_box(),
        await reject.bounding_box(),
        await held.bounding_box(),
    )
    assert approve_box["x"] > reject_box["x"]
    kind_box = await held.locator(".kind").bounding_box()
    assert item_box["x"] + item_box["width"] - (kind_box["x"] + kind_box["width"]) < item_box["width"] / 2
    assert await held.locator(".why").evaluate("element => getComputedStyle(element).direction") == "rtl"
    assert await serious_violations(page) == "[]"
    await page.screenshot(path=str(artifacts / "dashboard-ar.png"), full_page=True)
    await context.close()


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang not in ("fr", "en", "ar")])
async def test_in_each_other_language_the_dashboard_speaks_it_and_axe_finds_nothing_serious(
    browser, live_url, db, lang
):
    """Signed in through the form in the browser's language, with the words of its catalogue."""
    words = catalogue("dashboard", lang)
    moderator, _ = await a_held_and_a_reported_item(live_url, db)
    context = await browser.new_context(locale=lang)
    page = await context.new_page()
    await page.goto(f"{live_url}/moderate")
    await page.get_by_label(words["login"]).fill(moderator.username)
    await page.get_by_label(words["password"]).fill(PASSWORD)
    await page.get_by_role("button", name=words["signIn"]).click()
    await page.locator("li.item").nth(1).wait_for()
    assert await page.locator("#queue-title").inner_text() == words["queueTitle"]
    assert await page.locator("html").get_attribute("lang") == lang
    assert await serious_violations(page) == "[]"
    await context.close()
