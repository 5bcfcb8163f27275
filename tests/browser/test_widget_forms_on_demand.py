"""A first view fetches what shows the thread: the forms' script and words come when a reader
first opens a form, once; with them a reader registers, posts and replies, in French and in
Arabic (right to left, and the heaviest catalogue)."""

from __future__ import annotations

import re

import pytest

from tests.browser.stage import ARTICLE, staged
from tests.builders import post_comment


async def fetched(page) -> list[str]:
    """What the widget's document fetched of the service's assets, by unhashed name."""
    urls = await page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    return [re.sub(r"\.[0-9a-f]{12}\.", ".", url.split("/widget/")[1]) for url in urls if "/widget/" in url]


@pytest.mark.parametrize("lang", ["fr", "ar"])
async def test_the_forms_come_with_the_first_form_and_a_reader_registers_posts_and_replies(
    browser, db, live_url, lang
):
    async with staged(browser, live_url, db, lang) as stage:
        other = await stage.reader()
        await post_comment(stage.api, other, stage.site, ARTICLE, "Un premier avis.")
        page = await stage.open()
        await page.get_by_text("Un premier avis.").wait_for()
        assert sorted(await fetched(page)) == sorted(["widget.css", f"words-{lang}.js", "widget.js"])

        await stage.registration()
        composer = page.locator("#account form.composer")
        await composer.wait_for()
        assert sorted(await fetched(page)) == sorted(
            ["widget.css", f"words-{lang}.js", "widget.js", "forms.js", f"words-forms-{lang}.js"]
        )
        await stage.publish("Mon avis, écrit ici.")
        mine = page.locator("article.comment").filter(has_text="Mon avis, écrit ici.")
        await mine.get_by_role("status").filter(has_text=stage.words["posted"]).wait_for()

        await stage.button("reply", mine).click()
        await stage.publish("Et ma réponse.", within=mine)
        reply = mine.locator(".replies article.comment").filter(has_text="Et ma réponse.")
        await reply.get_by_role("status").filter(has_text=stage.words["posted"]).wait_for()
        # Fetched once for all the forms that followed.
        assert len([name for name in await fetched(page) if name.startswith(("forms.", "words-forms-"))]) == 2
