"""The moderators' dashboard in Chromium: sign in, approve with the mouse,
reject with the keyboard and a reason, ban, read the audit log."""

from __future__ import annotations

import httpx

from tests.browser.dashboard import sign_in
from tests.builders import make_moderator, make_site, post_comment, register, unique_name


async def test_a_moderator_clears_the_queue_with_mouse_and_keyboard(browser, live_url, db, artifacts):
    site = await make_site(db, moderation="pre")
    article = unique_name("article")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api)
        moderator = await make_moderator(api, db, site)
        comments = [
            await post_comment(api, author, site, article, f"Commentaire numéro {n}") for n in range(3)
        ]

    context, page, response = await sign_in(
        browser, live_url, moderator, viewport={"width": 1100, "height": 900}
    )
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    items = page.locator("li.item")
    await items.nth(2).wait_for()
    assert await items.count() == 3
    await page.screenshot(path=str(artifacts / "dashboard-queue.png"), full_page=True)

    # Approve the first with the mouse.
    await items.nth(0).get_by_role("button", name="Approve").click()
    await page.locator("li.item.decided").first.wait_for()
    # Reject the second with the keyboard: '/' to the reason, Enter to reject with it.
    await page.keyboard.press("/")
    await page.keyboard.type("Hors sujet (règle 3).")
    await page.keyboard.press("Enter")
    await page.locator("li.item.decided").nth(1).wait_for()
    # Ban the third one's author from the same screen, for a week.
    await items.nth(2).get_by_role("button", name="Ban author").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("How long").select_option(label="for 7 days")
    await dialog.get_by_label("Reason").fill("Récidive")
    await dialog.get_by_role("button", name="Ban", exact=True).click()
    await page.get_by_role("status").filter(has_text=f"@{author.username} is banned for 7 days.").wait_for()
    await page.screenshot(path=str(artifacts / "dashboard-decided.png"), full_page=True)

    statuses = await db.fetch(
        "SELECT id, status, moderation_reason FROM comments WHERE id = ANY($1::bigint[]) ORDER BY id",
        [c["id"] for c in comments],
    )
    assert [(r["status"], r["moderation_reason"]) for r in statuses][:2] == [
        ("approved", None),
        ("rejected", "Hors sujet (règle 3)."),
    ]
    ban = await db.fetchrow("SELECT until, reason FROM bans WHERE user_id = $1", author.id)
    assert ban["reason"] == "Récidive" and ban["until"] is not None

    await page.get_by_role("button", name="Audit log").click()
    rows = page.locator("#entries tr")
    await rows.nth(2).wait_for()
    assert await rows.count() == 3
    await page.screenshot(path=str(artifacts / "dashboard-log.png"), full_page=True)
    await context.close()


async def test_the_dashboard_speaks_french_and_refuses_readers(browser, live_url, artifacts):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
    context, page, _ = await sign_in(browser, live_url, reader, "fr")
    await page.get_by_role("status").filter(has_text="Ce compte ne modère aucun site.").wait_for()
    await page.screenshot(path=str(artifacts / "dashboard-refused-fr.png"))
    await context.close()


async def test_the_dashboard_shows_the_authors_username_apart_from_the_name_and_history(
    browser, live_url, db, artifacts
):
    site = await make_site(db, moderation="pre")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api, display_name="Alice · 99 approved, 0 rejected")
        moderator = await make_moderator(api, db, site)
        await post_comment(api, author, site, unique_name("article"))
    context, page, _ = await sign_in(browser, live_url, moderator)
    item = page.locator("li.item").first
    await item.wait_for()
    # The name on a line with the unique @username; the real history on a line of its own.
    assert await item.locator(".author").inner_text() == f"Alice · 99 approved, 0 rejected @{author.username}"
    assert (await item.locator(".history").inner_text()).startswith("0 approved, 0 rejected · account since ")
    await page.screenshot(path=str(artifacts / "dashboard-author.png"), full_page=True)
    await context.close()


async def test_a_decision_on_a_comment_edited_meanwhile_is_refused_and_the_new_text_shown(
    browser, live_url, db, artifacts
):
    site = await make_site(db, moderation="pre")
    article = unique_name("article")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api)
        moderator = await make_moderator(api, db, site)
        comment = await post_comment(api, author, site, article, "Texte que le modérateur a lu")

        context, page, _ = await sign_in(
            browser, live_url, moderator, viewport={"width": 1100, "height": 900}
        )
        item = page.locator("li.item")
        await item.filter(has_text="Texte que le modérateur a lu").wait_for()

        edited = await api.patch(
            f"/api/v1/comments/{comment['id']}",
            json={"body": "Texte réécrit dans son dos"},
            headers=author.auth,
        )
        assert edited.status_code == 200
        await item.get_by_role("button", name="Approve").click()
        stale = page.get_by_role("status").filter(has_text="edited this comment meanwhile")
        await stale.wait_for(timeout=10_000)
        await item.filter(has_text="Texte réécrit dans son dos").wait_for()
        assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "pending"
        await page.screenshot(path=str(artifacts / "dashboard-stale-decision.png"), full_page=True)

        await item.get_by_role("button", name="Approve").click()
        await page.locator("li.item.decided").wait_for()
        await context.close()
    row = await db.fetchrow("SELECT status, body FROM comments WHERE id = $1", comment["id"])
    assert tuple(row) == ("approved", "Texte réécrit dans son dos")
