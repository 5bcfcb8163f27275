"""Live updates in the widget: a comment published by one reader shows up in another reader's
widget as a button ("1 nouveau commentaire"), without moving what that reader has on screen;
clicking it shows the comment, and the count follows."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.stage import ARTICLE, LANGS, ORIGIN, staged
from tests.builders import post_comment


@pytest.mark.parametrize("lang", LANGS)
async def test_a_comment_published_by_one_reader_is_offered_to_another_without_moving_the_page(
    browser, db, live_url, artifacts, lang
):
    async with staged(browser, live_url, db, lang) as stage:
        author = await stage.reader()
        first = await post_comment(stage.api, author, stage.site, ARTICLE)
        writer = await stage.open(author)
        other = await browser.new_context(viewport={"width": 900, "height": 900})
        try:
            reader = await other.new_page()
            reader.set_default_timeout(10_000)
            query = urlencode({"site": stage.site, "article": ARTICLE, "origin": ORIGIN, "lang": lang})
            # The widget's stream open: its answer's headers came.
            async with reader.expect_response(lambda r: "/live?" in r.url and r.status == 200):
                await reader.goto(f"{live_url}/embed?{query}")
            await reader.locator(f"article[data-id='{first['id']}']").wait_for()
            shown = reader.locator(f"article[data-id='{first['id']}']")
            before = await shown.bounding_box()
            fresh = reader.locator("#fresh")
            assert not await fresh.is_visible()

            await stage.publish("Les tiers-lieux, ça marche aussi à la campagne.")
            await writer.get_by_text("Les tiers-lieux, ça marche aussi à la campagne.").wait_for()
            words = stage.words
            offered = words["fresh"]["one"].replace("{n}", "1")
            await reader.get_by_role("button", name=offered, exact=True).wait_for()
            assert await shown.bounding_box() == before
            assert words["count"] + "2" == await reader.locator("#count").inner_text()
            # Not in the thread until asked for.
            assert await reader.locator("article.comment").count() == 1
            await reader.screenshot(path=str(artifacts / f"widget-live-{lang}.png"), full_page=True)

            await reader.get_by_role("button", name=offered, exact=True).click()
            await reader.get_by_text("Les tiers-lieux, ça marche aussi à la campagne.").wait_for()
            assert await reader.locator("article.comment").count() == 2
            assert not await fresh.is_visible()
            # Nothing announced to the writer about their own comment.
            assert not await writer.locator("#fresh").is_visible()
        finally:
            await other.close()
