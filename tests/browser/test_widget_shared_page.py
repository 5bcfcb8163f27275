"""Signed in, the widget asks for the page every reader shares with the reader's own part beside
it (`overlay`), gzipped as Chromium accepts it, and shows the reader what is theirs: their vote
pressed, their comment's source in its edit box; and for another reader none of it."""

from __future__ import annotations

import pytest

from tests.browser.stage import ARTICLE, LANGS, staged
from tests.builders import post_comment

SOURCE = "Un avis *en Markdown*."


@pytest.mark.parametrize("lang", LANGS)
async def test_the_shared_page_shows_each_reader_what_is_theirs(browser, db, live_url, lang):
    async with staged(browser, live_url, db, lang) as stage:
        author, voter = await stage.reader(), await stage.reader()
        theirs = await post_comment(stage.api, author, stage.site, ARTICLE, SOURCE)
        # Enough of a page to be gzipped (a page under 1 KB is sent as it is).
        others = await stage.reader()
        for n in range(8):
            await post_comment(
                stage.api, others, stage.site, ARTICLE, f"Un autre avis, assez long pour peser : {n}."
            )
        voted = await stage.api.put(
            f"/api/v1/comments/{theirs['id']}/vote", json={"value": 1}, headers=voter.auth
        )
        assert voted.status_code == 200, voted.text

        for reader in (voter, author):
            page = await stage.open(reader)
            # Read again (another sort), to see what the widget asked and was answered.
            async with page.expect_response(lambda r: "/comments?" in r.url) as answered:
                await page.get_by_role("combobox", name=stage.words["sort"]).select_option("newest")
            response = await answered.value
            assert "overlay=1" in response.url and response.headers["content-encoding"] == "gzip"
            viewer = (await response.json())["viewer"]
            comment = stage.comment(theirs["id"])
            await comment.wait_for()
            up = stage.button("up", comment)
            if reader is voter:
                assert viewer["votes"] == {str(theirs["id"]): 1} and viewer["own"] == {}
                assert await up.get_attribute("aria-pressed") == "true"
                assert await stage.button("edit", comment).count() == 0
            else:
                # Their own comment: nothing of theirs to press, its source in the edit box.
                assert viewer["votes"] == {} and viewer["own"][str(theirs["id"])]["body"] == SOURCE
                assert await up.get_attribute("aria-pressed") == "false" and await up.is_disabled()
                await stage.button("edit", comment).click()
                assert await comment.locator("textarea").input_value() == SOURCE
