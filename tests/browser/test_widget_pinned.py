"""A pinned comment in the widget, in French and English: first in the thread whatever the sort,
marked with words a screen reader says too, and nothing axe finds serious."""

from __future__ import annotations

import pytest

from tests.browser.stage import ARTICLE, LANGS, staged
from tests.browser.test_widget_feedback import serious_violations
from tests.builders import make_moderator, post_comment


@pytest.mark.parametrize("lang", LANGS)
async def test_a_pinned_comment_comes_first_and_is_marked(browser, db, live_url, artifacts, lang):
    async with staged(browser, live_url, db, lang) as stage:
        reader = await stage.reader()
        older, newer = [await post_comment(stage.api, reader, stage.site, ARTICLE) for _ in range(2)]
        moderator = await make_moderator(stage.api, db, stage.site)
        pinned = await stage.api.put(
            f"/api/v1/comments/{older['id']}/pin", json={"pinned": True}, headers=moderator.auth
        )
        assert pinned.status_code == 200, pinned.text
        page = await stage.open()
        for sort in ("newest", "oldest"):
            await page.get_by_role("combobox", name=stage.words["sort"]).select_option(sort)
            first = page.locator("article.comment").first
            await first.and_(page.locator(f"article[data-id='{older['id']}']")).wait_for()
        mark = stage.comment(older["id"]).get_by_text(stage.words["pinned"], exact=True)
        await mark.wait_for()
        assert await stage.comment(newer["id"]).get_by_text(stage.words["pinned"]).count() == 0
        # Said as its own words, after the author and the time.
        assert stage.words["pinned"] in await stage.comment(older["id"]).locator(".meta").inner_text()
        assert await serious_violations(page) == []
        await page.screenshot(path=str(artifacts / f"widget-pinned-{lang}.png"), full_page=True)
