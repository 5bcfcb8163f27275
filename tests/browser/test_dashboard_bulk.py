"""Bulk decisions and the author's page in Chromium, in English and French: items selected with
the keyboard and the mouse and decided at once, each showing what became of it; an author's page
reached from their name, with a pin, a ban and "Reject all recent" after a confirmation; axe finds
nothing serious on any of it."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.dashboard import LANGUAGES, a_queue, serious_violations, sign_in
from tests.builders import make_moderator, make_site, post_comment, register, unique_name

WORDS = {
    "en": {
        "selected": "{} items selected",
        "approve_selected": "Approve selected",
        "decided_reject": "Decided: rejected.",
        "decided_approve": "Decided: approved.",
        "rejected_n": "rejected: {} comments.",
        "approved_n": "approved: {} comments.",
        "select": "Select",
        "title": "@{} (Zoé)",
        "standing": "2 approved, 0 rejected on this site · not trusted.",
        "reject_recent": "Reject all recent (3)…",
        "confirm": "Reject the 3 latest published or held comments of @{}?",
        "reject_them": "Reject them",
        "cancel": "Cancel",
        "pin": "Pin first in its thread",
        "pinned": "· pinned",
        "ban": "Ban author…",
        "how_long": "How long",
        "a_week": "for 7 days",
        "ban_reason": "Reason (the author is shown it)",
        "confirm_ban": "Ban",
        "banned_until": "Banned until ",
        "lift": "Lift the ban",
        "not_banned": "Not banned from this site.",
        "rejected": "rejected",
        "done": "· done",
    },
    "fr": {
        "selected": "{} éléments sélectionnés",
        "approve_selected": "Approuver la sélection",
        "decided_reject": "Décidé : rejeté.",
        "decided_approve": "Décidé : approuvé.",
        "rejected_n": "rejeté : {} commentaires.",
        "approved_n": "approuvé : {} commentaires.",
        "select": "Sélectionner",
        "title": "@{} (Zoé)",
        "standing": "2 approuvés, 0 rejeté sur ce site · pas encore de confiance.",
        "reject_recent": "Rejeter tous les récents (3)…",
        "confirm": "Rejeter les 3 derniers commentaires publiés ou retenus de @{} ?",
        "reject_them": "Les rejeter",
        "cancel": "Annuler",
        "pin": "Épingler en tête du fil",
        "pinned": "· épinglé",
        "ban": "Bannir l'auteur…",
        "how_long": "Pour combien de temps",
        "a_week": "pour 7 jours",
        "ban_reason": "Motif (montré à l'auteur)",
        "confirm_ban": "Bannir",
        "banned_until": "Banni jusqu'au ",
        "lift": "Lever le bannissement",
        "not_banned": "Pas banni de ce site.",
        "rejected": "rejeté",
        "done": "· fait",
    },
}


async def statuses(db, comments: list[dict]) -> list[str]:
    rows = await db.fetch(
        "SELECT status FROM comments WHERE id = ANY($1::bigint[]) ORDER BY id", [c["id"] for c in comments]
    )
    return [row["status"] for row in rows]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_items_selected_with_the_keyboard_are_rejected_at_once(browser, live_url, db, artifacts, lang):
    words = WORDS[lang]
    queue = await a_queue(live_url, db, *(f"Pub n° {n}" for n in range(3)), "Un vrai avis")
    context, page, _ = await sign_in(browser, live_url, queue.moderator, lang)
    items = page.locator("li.item")
    await items.nth(3).wait_for()

    # x selects the first; shift+j selects the next as it moves there, twice.
    await page.keyboard.press("x")
    await page.keyboard.press("Shift+J")
    await page.keyboard.press("Shift+ArrowDown")
    bar = page.get_by_role("group", name=words["selected"].format(3))
    await bar.wait_for()
    checked = [
        await box.is_checked() for box in await page.get_by_role("checkbox", name=words["select"]).all()
    ]
    assert checked == [True, True, True, False]
    assert await serious_violations(page) == "[]"
    await page.screenshot(path=str(artifacts / f"dashboard-bulk-selected-{lang}.png"), full_page=True)

    # With a selection, r rejects every selected item, in one request.
    await page.keyboard.press("r")
    status = page.get_by_role("status").filter(has_text=words["rejected_n"].format(3))
    await status.wait_for()
    for n in range(3):
        await items.nth(n).locator(".outcome", has_text=words["decided_reject"]).wait_for()
    await bar.wait_for(state="hidden")
    assert await page.locator("li.item.decided").count() == 3
    assert await statuses(db, queue.comments) == ["rejected"] * 3 + ["pending"]
    # The keys are a single item's again: a approves the one left.
    await page.keyboard.press("a")
    await items.nth(3).locator(".outcome", has_text=words["decided_approve"]).wait_for()
    assert await statuses(db, queue.comments) == ["rejected"] * 3 + ["approved"]
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_shift_click_selects_a_range_and_the_bar_approves_it(browser, live_url, db, lang):
    words = WORDS[lang]
    queue = await a_queue(live_url, db, *(f"Commentaire {n}" for n in range(4)))
    context, page, _ = await sign_in(browser, live_url, queue.moderator, lang)
    boxes = page.get_by_role("checkbox", name=words["select"])
    await boxes.nth(3).wait_for()
    await boxes.nth(0).click()
    await boxes.nth(2).click(modifiers=["Shift"])
    bar = page.get_by_role("group", name=words["selected"].format(3))
    await bar.get_by_role("button", name=words["approve_selected"]).click()
    await page.get_by_role("status").filter(has_text=words["approved_n"].format(3)).wait_for()
    assert await statuses(db, queue.comments) == ["approved"] * 3 + ["pending"]
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_author_page_pins_bans_and_rejects_all_recent_after_a_confirmation(
    browser, live_url, db, artifacts, lang
):
    words = WORDS[lang]
    site = await make_site(db, blocked_words=["casino"])
    article = unique_name("article")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api, display_name="Zoé")
        moderator = await make_moderator(api, db, site)
        published = [await post_comment(api, author, site, article, f"Premier avis {n}") for n in range(2)]
        held = await post_comment(api, author, site, article, "Le meilleur casino en ligne")
    context, page, _ = await sign_in(browser, live_url, moderator, lang)
    item = page.locator("li.item").first
    await item.get_by_role("button", name="Zoé").click()

    author_page = page.locator("#author")
    await author_page.get_by_role("heading", name=words["title"].format(author.username)).wait_for()
    await author_page.get_by_text(words["standing"]).wait_for()
    entries = author_page.locator("#author-comments > li")
    await entries.nth(2).wait_for()
    # The older published comment, pinned from here.
    await entries.nth(2).get_by_role("button", name=words["pin"]).click()
    await entries.nth(2).get_by_text(words["pinned"]).wait_for()
    assert await db.fetchval("SELECT pinned FROM comments WHERE id = $1", published[0]["id"]) is True
    assert await serious_violations(page) == "[]"
    await page.screenshot(path=str(artifacts / f"dashboard-author-{lang}.png"), full_page=True)

    # Asked first: cancelling changes nothing.
    sweep = author_page.get_by_role("button", name=words["reject_recent"])
    await sweep.click()
    dialog = page.get_by_role("dialog", name=words["confirm"].format(author.username))
    await dialog.wait_for()
    assert await serious_violations(page) == "[]"
    await dialog.get_by_role("button", name=words["cancel"]).click()
    await dialog.wait_for(state="hidden")
    assert await statuses(db, [*published, held]) == ["approved", "approved", "pending"]
    await sweep.click()
    await dialog.get_by_role("textbox").fill("Publicité déguisée")
    await dialog.get_by_role("button", name=words["reject_them"]).click()
    await page.get_by_role("status").filter(has_text=words["rejected_n"].format(3)).wait_for()
    for n in range(3):
        await entries.nth(n).get_by_text(re.compile(f"^{words['rejected']}$")).wait_for()
        await entries.nth(n).get_by_text(words["done"]).wait_for()
    assert await statuses(db, [*published, held]) == ["rejected"] * 3
    reasons = await db.fetch(
        "SELECT DISTINCT moderation_reason FROM comments WHERE author_id = $1", author.id
    )
    assert [r["moderation_reason"] for r in reasons] == ["Publicité déguisée"]

    # A ban from the page, then lifted there.
    await author_page.get_by_role("button", name=words["ban"]).click()
    ban = page.get_by_role("dialog")
    await ban.get_by_label(words["how_long"]).select_option(label=words["a_week"])
    await ban.get_by_label(words["ban_reason"]).fill("Raid")
    await ban.get_by_role("button", name=words["confirm_ban"], exact=True).click()
    await author_page.get_by_text(words["banned_until"]).wait_for()
    assert await db.fetchval("SELECT reason FROM bans WHERE user_id = $1", author.id) == "Raid"
    await author_page.get_by_role("button", name=words["lift"]).click()
    await author_page.get_by_text(words["not_banned"]).wait_for()
    assert await db.fetchval("SELECT count(*) FROM bans WHERE user_id = $1", author.id) == 0
    assert await serious_violations(page) == "[]"
    # One view at a time: the log's button leaves the author's page, the queue's the log.
    await page.locator("#show-log").click()
    await page.locator("#log").wait_for()
    assert await author_page.is_hidden() and await page.locator("#queue").is_hidden()
    await page.locator("#show-queue").click()
    await page.locator("#queue").wait_for()
    assert await page.locator("#log").is_hidden() and await author_page.is_hidden()
    await context.close()
