"""The dashboard's controls in Chromium, in English and French: the reason field lets the keys
go, a ban asks how long and why, and unbans and article locks have their controls."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.browser.dashboard import LANGUAGES, WORDS, a_queue, sign_in
from tests.builders import post_comment, register

FOCUS_ON_THE_ITEM = "document.activeElement.matches('li.item.selected')"


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(text)}$")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_escape_leaves_the_reason_field_and_the_keys_decide_again(browser, live_url, db, lang):
    words = WORDS[lang]
    queue = await a_queue(live_url, db, "Achetez mes montres")
    context, page, _ = await sign_in(browser, live_url, queue.moderator, lang)
    item = page.locator("li.item").first
    await item.wait_for()

    await page.keyboard.press("/")
    # What Enter does is on screen while the field has the focus, and is the field's description.
    hint = item.get_by_text(words["hint"])
    await hint.wait_for()
    reason = item.get_by_role("textbox")
    assert await reason.get_attribute("aria-describedby") == await hint.get_attribute("id")
    await page.keyboard.type("Publicité")
    await page.keyboard.press("Escape")
    await hint.wait_for(state="hidden")
    assert await page.evaluate(FOCUS_ON_THE_ITEM)

    # The keys are keys again: b opens the ban dialog (Escape closes it, back on the item), s decides.
    await page.keyboard.press("b")
    dialog = page.get_by_role("dialog")
    await dialog.wait_for()
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    assert await page.evaluate(FOCUS_ON_THE_ITEM)
    await page.keyboard.press("s")
    await page.locator("li.item.decided").wait_for()
    assert await reason.input_value() == "Publicité"
    [comment] = queue.comments
    row = await db.fetchrow("SELECT status, moderation_reason FROM comments WHERE id = $1", comment["id"])
    assert tuple(row) == ("spam", "Publicité")
    assert await db.fetchval("SELECT count(*) FROM bans WHERE user_id = $1", queue.author.id) == 0
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_ban_asks_how_long_and_why_and_the_reader_is_told_the_moderators_reason(
    browser, live_url, db, artifacts, lang
):
    words = WORDS[lang]
    queue = await a_queue(live_url, db, "Vous êtes tous des idiots")
    author = queue.author
    context, page, _ = await sign_in(browser, live_url, queue.moderator, lang)
    await page.locator("li.item").first.wait_for()

    await page.keyboard.press("b")
    dialog = page.get_by_role("dialog", name=words["ban_title"].format(author.username))
    await dialog.wait_for()
    how_long = dialog.get_by_label(words["how_long"])
    ban_reason = dialog.get_by_label(words["ban_reason"])
    confirm = dialog.get_by_role("button", name=words["confirm"], exact=True)
    # Neither a length nor a reason is assumed: the form asks for both before anything is sent.
    await confirm.click()
    assert await how_long.evaluate("field => field.validity.valueMissing")
    await how_long.select_option(label=words["a_week"])
    await ban_reason.fill("   ")
    await confirm.click()
    assert await ban_reason.evaluate("field => !field.validity.valid")
    assert await dialog.is_visible()
    await page.screenshot(path=str(artifacts / f"dashboard-ban-dialog-{lang}.png"))

    await ban_reason.fill("Insultes répétées")
    await confirm.click()
    await page.get_by_role("status").filter(has_text=words["banned"].format(author.username)).wait_for()
    await dialog.wait_for(state="hidden")
    await context.close()

    [ban] = await db.fetch("SELECT until, reason FROM bans WHERE user_id = $1", author.id)
    assert ban["reason"] == "Insultes répétées"
    assert abs(ban["until"] - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
    async with httpx.AsyncClient(base_url=live_url) as api:
        refused = await api.post(
            f"/api/v1/sites/{queue.site}/comments",
            json={"article": queue.article, "body": "Encore"},
            headers=author.auth,
        )
    assert refused.status_code == 403
    assert "(Insultes répétées)" in refused.json()["detail"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_dashboard_closes_and_reopens_an_article_and_lifts_a_ban(
    browser, live_url, db, artifacts, lang
):
    words = WORDS[lang]
    queue = await a_queue(live_url, db, "À modérer")
    site, article, author, moderator = queue.site, queue.article, queue.author, queue.moderator
    async with httpx.AsyncClient(base_url=live_url) as api:
        spammer = await register(api)
        banned = await api.post(
            f"/api/v1/sites/{site}/bans",
            json={"user_id": spammer.id, "reason": "Spam répété"},
            headers=moderator.auth,
        )
        described = await api.put(
            f"/api/v1/sites/{site}/articles",
            json={
                "article": article,
                "article_title": "Un tiers-lieu",
                "article_url": "https://news.example/t",
            },
            headers=moderator.auth,
        )
        assert (banned.status_code, described.status_code) == (201, 200)

        context, page, _ = await sign_in(browser, live_url, moderator, lang)
        item = page.locator("li.item").first
        await item.get_by_role("button", name=words["close"]).click()
        status = page.get_by_role("status")
        await status.filter(has_text=words["closed_now"].format("Un tiers-lieu")).wait_for()
        await item.get_by_role("button", name=words["reopen"]).wait_for()
        assert await db.fetchval("SELECT locked FROM articles WHERE key = $1", article) is True
        refused = await api.post(
            f"/api/v1/sites/{site}/comments",
            json={"article": article, "body": "Et moi ?"},
            headers=author.auth,
        )
        assert refused.status_code == 403

        # The log: each entry in words, and beside what still holds, the control that undoes it.
        await page.get_by_role("button", name=words["log"]).click()
        rows = page.locator("#entries tr")
        await rows.nth(2).wait_for()
        assert await rows.locator("td.what").all_inner_texts() == [
            words["lock"],
            words["describe"],
            words["ban"],
        ]
        await page.screenshot(path=str(artifacts / f"dashboard-log-controls-{lang}.png"), full_page=True)

        lock_row = rows.filter(has=page.locator("td.what", has_text=exactly(words["lock"])))
        await lock_row.get_by_role("button", name=words["reopen"]).click()
        await status.filter(has_text=words["reopened_now"].format("Un tiers-lieu")).wait_for()
        await rows.first.locator("td.what", has_text=exactly(words["unlock"])).wait_for()
        assert await db.fetchval("SELECT locked FROM articles WHERE key = $1", article) is False

        ban_row = rows.filter(has=page.locator("td.what", has_text=exactly(words["ban"])))
        await ban_row.get_by_role("button", name=words["lift"]).click()
        await status.filter(has_text=words["unbanned"].format(spammer.username)).wait_for()
        await rows.first.locator("td.what", has_text=exactly(words["unban"])).wait_for()
        # Nothing left to undo: no control is offered any more.
        assert await rows.get_by_role("button").count() == 0
        await context.close()

        assert await db.fetchval("SELECT count(*) FROM bans WHERE user_id = $1", spammer.id) == 0
        assert (await post_comment(api, spammer, site, article, "Me revoilà"))["status"] == "pending"
