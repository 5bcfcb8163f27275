"""A moderator decides from an alert's link in Chromium: the page shows the held comment, decides
nothing until Approve is pressed, then says so, and the comment is public."""

from __future__ import annotations

import httpx

from tests.builders import make_moderator, make_site, post_comment, read_thread, register, unique_name


async def test_a_moderator_approves_a_held_comment_from_the_alert_s_link(
    browser, live_url, db, mailbox, artifacts
):
    site = await make_site(db, moderation="pre")
    article = unique_name("article")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api)
        moderator = await make_moderator(api, db, site)
        await db.execute(
            "UPDATE users SET moderation_alerts = 'instant', language = 'en' WHERE id = $1", moderator.id
        )
        comment = await post_comment(api, author, site, article, "Une *remarque* utile")
        [alert] = await mailbox.wait_for_kind(moderator.email, "alert")
        approve = dict(alert.links())["Approve"]

        context = await browser.new_context(locale="fr-FR")  # the link's language wins over the browser's
        page = await context.new_page()
        response = await page.goto(live_url + approve)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        await page.locator(".body em").filter(has_text="remarque").wait_for()
        assert await page.locator(".username").inner_text() == f"@{author.username}"
        assert await page.locator(".why").inner_text() == "Why: pre-moderation (author not trusted yet)"
        # The link named Approve: it has the focus, and nothing is decided yet.
        button = page.get_by_role("button", name="Approve")
        assert await button.evaluate("element => element === document.activeElement")
        assert await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"]) == "pending"
        await page.screenshot(path=str(artifacts / "decision-link.png"), full_page=True)

        await button.click()
        await (
            page.get_by_role("status")
            .filter(has_text=f"Decided: approved by @{moderator.username}.")
            .wait_for()
        )
        assert await page.get_by_role("button", name="Approve").is_hidden()
        await page.screenshot(path=str(artifacts / "decision-link-approved.png"), full_page=True)
        thread = await read_thread(api, site, article)
        assert [(c["id"], c["status"]) for c in thread["comments"]] == [(comment["id"], "approved")]
    await context.close()


async def test_an_expired_link_s_page_says_so_and_leads_to_the_dashboard(browser, live_url, artifacts):
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(f"{live_url}/moderate/decide?token=not-a-token")
    await page.get_by_role("status").filter(has_text="Ce lien n'est pas valide").wait_for()
    assert (
        await page.get_by_role("link", name="Ouvrir le tableau de bord").get_attribute("href")
        == "/moderate?lang=fr"
    )
    assert await page.locator("#item").is_hidden()
    await context.close()


async def test_the_page_speaks_the_alert_s_language_whichever_the_dashboard_speaks(
    browser, live_url, db, mailbox
):
    site = await make_site(db, moderation="pre")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api)
        moderator = await make_moderator(api, db, site)
        await db.execute(
            "UPDATE users SET moderation_alerts = 'instant', language = 'de' WHERE id = $1", moderator.id
        )
        await post_comment(api, author, site, unique_name("article"), "Eine Bemerkung")
        [alert] = await mailbox.wait_for_kind(moderator.email, "alert")
    [approve] = [href for _, href in alert.links() if "action=approve" in href]

    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(live_url + approve)
    why = page.locator(".why")
    await why.filter(has_text="Warum").wait_for()
    assert await why.inner_text() == "Warum: Vorabmoderation (Autor noch nicht vertrauenswürdig)"
    assert (
        await page.get_by_role("link", name="Dashboard öffnen").get_attribute("href") == "/moderate?lang=de"
    )
    await page.get_by_role("button", name="Freigeben").click()
    await (
        page.get_by_role("status")
        .filter(has_text=f"Entschieden: freigegeben von @{moderator.username}.")
        .wait_for()
    )
    await context.close()
