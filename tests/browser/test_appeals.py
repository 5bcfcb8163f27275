"""Appeals in Chromium, in French and in English: the author of a removed comment reads its earlier
versions and appeals it in the widget, another moderator reinstates it from the dashboard (with a
reason, which the dashboard asks for), and the author sees it reinstated; both pages axe-clean."""

from __future__ import annotations

import pytest

from tests.browser.dashboard import serious_violations, sign_in
from tests.browser.stage import ARTICLE, LANGS, staged
from tests.builders import decide, make_moderator, moderation_queue, post_comment


@pytest.mark.parametrize("lang", LANGS)
async def test_the_author_appeals_in_the_widget_and_another_moderator_reinstates(
    browser, db, live_url, artifacts, lang
):
    async with staged(browser, live_url, db, lang, moderation="pre") as stage:
        author = await stage.reader()
        remover = await make_moderator(stage.api, db, stage.site)
        other = await make_moderator(stage.api, db, stage.site)
        comment = await post_comment(stage.api, author, stage.site, ARTICLE, "Premier jet")
        edited = await stage.api.patch(
            f"/api/v1/comments/{comment['id']}", json={"body": "Un avis tranché"}, headers=author.auth
        )
        assert edited.status_code == 200, edited.text
        [item] = await moderation_queue(stage.api, stage.site, remover)
        await decide(
            stage.api,
            remover,
            item["item_id"],
            action="reject",
            reason="Hors sujet",
            revision=item["revision"],
        )

        page = await stage.open(author)
        words = stage.words
        node = stage.comment(comment["id"])
        # Its earlier text, under the "edited" mark.
        await node.get_by_role("button", name=words["edited"]).click()
        await node.locator(".versions").get_by_text("Premier jet").wait_for()
        await node.get_by_text(words["firstVersion"]).wait_for()

        await stage.button("appeal", node).click()
        await node.get_by_role("textbox", name=words["appealWhy"]).fill("Il répond à l'article.")
        await stage.button("appealSend", node).click()
        node = stage.comment(comment["id"])
        await node.get_by_role("status").filter(has_text=words["appealSent"]).wait_for()
        await node.get_by_text(words["appealState"]["pending"], exact=True).wait_for()
        assert await stage.button("appeal", node).count() == 0
        await page.screenshot(path=str(artifacts / f"widget-appeal-pending-{lang}.png"))
        assert await serious_violations(page) == "[]"

        context, dashboard, _ = await sign_in(browser, live_url, other, lang)
        appeal = dashboard.locator("li.item").first
        await appeal.get_by_text("Il répond à l'article.").wait_for()
        said = await dashboard.evaluate(
            "() => [t('appeal'), t('reinstate'), t('appealNeedsReason'), t('versions'), t('decided', { action: label('actions', 'reinstate') })]"
        )
        kind, reinstate, needs_reason, versions, decided = said
        assert await appeal.locator(".kind").inner_text() == kind
        assert remover.username in await appeal.locator(".appeal-removal").inner_text()
        # The spam and keep buttons are not an appeal's.
        assert await appeal.locator(".spam").is_hidden() and await appeal.locator(".keep").is_hidden()
        # Nor is a bulk selection: an appeal is decided on its own, with its reason (x selects nothing).
        assert await appeal.locator(".select").is_hidden()
        await appeal.focus()
        await dashboard.keyboard.press("x")
        assert await dashboard.locator("#bulk").is_hidden()
        await appeal.get_by_role("button", name=versions).click()
        await appeal.locator(".versions").get_by_text("Premier jet").wait_for()
        assert await serious_violations(dashboard) == "[]"

        # Without a reason, the dashboard asks for one and decides nothing.
        await appeal.get_by_role("button", name=reinstate, exact=True).click()
        await dashboard.get_by_role("status").filter(has_text=needs_reason).wait_for()
        assert await appeal.locator(".reason").evaluate("field => field === document.activeElement")
        await appeal.locator(".reason").fill("Le commentaire est dans le sujet.")
        await appeal.get_by_role("button", name=reinstate, exact=True).click()
        await appeal.locator(".outcome").filter(has_text=decided).wait_for()
        await dashboard.screenshot(path=str(artifacts / f"dashboard-appeal-decided-{lang}.png"))
        assert await serious_violations(dashboard) == "[]"
        await context.close()

        status = await db.fetchval("SELECT status FROM comments WHERE id = $1", comment["id"])
        assert status == "approved"
        await stage.open(author)
        node = stage.comment(comment["id"])
        await node.get_by_text(stage.words["appealState"]["reinstated"], exact=True).wait_for()
        assert await node.get_by_text(stage.words["removed"]).count() == 0
        assert await serious_violations(stage.page) == "[]"
