"""A host page that includes the comments' HTML fragment inside its [data-commentsvc] element: read
without JavaScript as it is, and replaced by the widget once the widget has drawn the thread."""

from __future__ import annotations

import httpx

from tests.browser.conftest import DEMO_ARTICLE
from tests.builders import post_comment, register

PAGE = "article.html?fragment=1"
FRAGMENT = "[data-commentsvc] .commentsvc-fragment"
TEXTS = ["Un tiers-lieu chez nous aussi", "Lequel ?"]


async def comment_on_the_demo_article(live_url: str, site: str) -> None:
    async with httpx.AsyncClient(base_url=live_url) as api:
        first = await post_comment(api, await register(api), site, DEMO_ARTICLE, TEXTS[0])
        await post_comment(api, await register(api), site, DEMO_ARTICLE, TEXTS[1], parent_id=first["id"])


async def test_without_javascript_the_host_page_shows_the_comments_of_its_fragment(browser, demo, live_url):
    await comment_on_the_demo_article(live_url, demo.site)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(demo.url(PAGE))
    texts = page.locator(f"{FRAGMENT} [itemprop=text]")
    assert await texts.all_inner_texts() == TEXTS
    assert await page.locator(FRAGMENT).is_visible()
    assert await page.locator("[data-commentsvc] iframe").count() == 0
    await context.close()


async def test_with_javascript_the_widget_replaces_the_fragment_once_ready(browser, demo, live_url):
    await comment_on_the_demo_article(live_url, demo.site)
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(demo.url(PAGE))
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_text(TEXTS[1]).wait_for()
    await page.locator(FRAGMENT).wait_for(state="hidden")
    # Once: the widget's comments, and none of the fragment's left in sight.
    assert await page.locator(FRAGMENT).count() == 1  # kept in the page, for what reads it
    assert await page.get_by_text(TEXTS[0]).filter(visible=True).count() == 0
    frame_box = await page.locator("section.reactions iframe").bounding_box()
    assert frame_box is not None and frame_box["height"] > 100
    assert await page.locator("section.reactions iframe").evaluate("f => getComputedStyle(f).opacity") == "1"
    await context.close()


async def test_the_fragment_stays_in_sight_while_the_widget_cannot_draw_the_thread(browser, demo, live_url):
    """No moment without comments: until the widget has its thread, the fragment is what shows."""
    await comment_on_the_demo_article(live_url, demo.site)
    context = await browser.new_context()
    await context.route("**/api/v1/sites/*/comments?*", lambda route: route.abort())
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(demo.url(PAGE))
    frame = page.frame_locator("section.reactions iframe")
    await frame.locator("#comments").wait_for(state="attached")  # the widget started, without its thread
    assert await page.locator(FRAGMENT).is_visible()
    assert await page.locator("section.reactions iframe").evaluate("f => getComputedStyle(f).opacity") == "0"
    await context.close()
