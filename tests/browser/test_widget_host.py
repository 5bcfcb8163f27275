"""The widget as the host page frames it: its words (plurals, the frame's title in the page's
language, the demo listing's titles), its colours following the page's, and an embed the
service refuses saying why, in the page and in its console."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.stage import ARTICLE, LANGS, open_article, staged
from tests.builders import make_site, post_comment, register

DEMO_ARTICLE = "un-tiers-lieu-pour-les-rassembler-tous"
WHITE, WIDGET_DARK = "rgb(255, 255, 255)", "rgb(27, 27, 29)"


@pytest.mark.parametrize(
    ("lang", "shown"),
    [("fr", ["2 points", "1 point", "0 point"]), ("en", ["2 points", "1 point", "0 points"])],
)
async def test_scores_follow_the_languages_plural_rules(browser, db, live_url, lang, shown):
    async with staged(browser, live_url, db, lang) as stage:
        author = await stage.reader()
        voters = [await stage.reader() for _ in range(2)]
        for votes in (2, 1, 0):
            comment = await post_comment(stage.api, author, stage.site, ARTICLE)
            for voter in voters[:votes]:
                vote = f"/api/v1/comments/{comment['id']}/vote"
                assert (await stage.api.put(vote, json={"value": 1}, headers=voter.auth)).status_code == 200
        page = await stage.open()
        scores = page.locator("article.comment .score")
        await scores.nth(2).wait_for()
        assert await scores.all_inner_texts() == shown


async def test_the_demo_listing_shows_french_article_titles_and_their_counts(browser, demo, live_url):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
        await post_comment(api, reader, demo.site, "la-fibre-arrive-dans-les-bourgs-du-cantal")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(demo.url("listing.html"))
    await (
        page.locator("[data-commentsvc-count='la-fibre-arrive-dans-les-bourgs-du-cantal']")
        .filter(has_text="1")
        .wait_for()
    )
    titles = await page.locator(".teaser h2").all_inner_texts()
    assert titles[1] == "LA FIBRE ARRIVE DANS LES BOURGS DU CANTAL"  # the listing's capitals
    assert not any("placeholder" in title.lower() for title in titles)
    assert "placeholder" not in (await page.content()).lower()
    await context.close()


@pytest.mark.parametrize(
    ("query", "title", "count"),
    [("", "Commentaires", "Nombre de commentaires : 0"), ("?lang=en", "Comments", "Number of comments: 0")],
)
async def test_the_frame_follows_the_host_pages_language_without_data_lang(
    browser, demo, query, title, count
):
    context, page, frame = await open_article(browser, demo, f"article.html{query}")
    await frame.get_by_text(count).wait_for()
    # The frame names itself, in its language, to the loader.
    await page.wait_for_function(
        "t => document.querySelector('section.reactions iframe').title === t", arg=title
    )
    await context.close()


@pytest.mark.parametrize(
    ("system", "query", "theme", "background"),
    [("dark", "", "light", WHITE), ("light", "?theme=dark", "dark", WIDGET_DARK)],
    ids=["white-page-dark-system", "dark-page-light-system"],
)
async def test_the_widget_takes_the_host_pages_colours_not_the_systems(
    browser, demo, artifacts, system, query, theme, background
):
    context, page, frame = await open_article(browser, demo, f"article.html{query}", color_scheme=system)
    html = frame.locator("html")
    assert await html.get_attribute("data-theme") == theme
    assert await html.evaluate("h => getComputedStyle(document.body).backgroundColor") == background
    await page.locator("section.reactions").screenshot(
        path=str(artifacts / f"widget-host-{theme}-on-{system}.png")
    )
    await context.close()


def refusal_lines(page) -> list[str]:
    lines: list[str] = []
    page.on(
        "console", lambda m: lines.append(m.text) if m.type == "error" and "commentsvc" in m.text else None
    )
    return lines


@pytest.mark.parametrize("lang", LANGS)
async def test_an_embed_with_an_unknown_slug_says_which_site_to_create(browser, demo, lang, artifacts):
    demo.site = "no-such-site"
    context = await browser.new_context()
    page = await context.new_page()
    console = refusal_lines(page)
    await page.goto(demo.url("article.html" + ("?lang=en" if lang == "en" else "")))
    line = page.frame_locator("section.reactions iframe").locator("#refused")
    await line.filter(has_text="commentsvc site create no-such-site").wait_for()
    text = await line.inner_text()
    assert ("« no-such-site »" if lang == "fr" else "“no-such-site”") in text
    assert demo.origin in text
    await page.wait_for_function(
        "() => document.querySelector('section.reactions iframe').offsetHeight < 120"
    )
    assert console == [text]
    await page.locator("section.reactions").screenshot(
        path=str(artifacts / f"widget-refused-site-{lang}.png")
    )
    await context.close()


@pytest.mark.parametrize("lang", LANGS)
async def test_an_embed_from_an_unregistered_origin_says_which_origin_to_register(browser, demo, db, lang):
    demo.site = await make_site(db, origins=("https://www.ardt-auvergne.fr",))
    context = await browser.new_context()
    page = await context.new_page()
    console = refusal_lines(page)
    await page.goto(demo.url("article.html" + ("?lang=en" if lang == "en" else "")))
    line = page.frame_locator("section.reactions iframe").locator("#refused")
    await line.filter(has_text=f"commentsvc site update {demo.site} --origin {demo.origin}").wait_for()
    text = await line.inner_text()
    assert "ardt-auvergne" not in text  # the site's own origins are not told to a stranger
    await page.wait_for_function(
        "() => document.querySelector('section.reactions iframe').offsetHeight < 120"
    )
    assert console == [text]
    await context.close()


async def test_a_page_opened_from_a_file_says_to_serve_it_from_a_registered_origin(browser, demo, tmp_path):
    page_file = tmp_path / "article.html"
    page_file.write_text(
        '<!doctype html><html lang="en"><body><div data-commentsvc data-article-id="a"></div>'
        f'<script src="{demo.service}/embed.js" data-site="{demo.site}" async></script></body></html>',
        encoding="utf-8",
    )
    context = await browser.new_context()
    page = await context.new_page()
    console = refusal_lines(page)
    await page.goto(page_file.as_uri())
    line = page.frame_locator("iframe").locator("#refused")
    await line.filter(has_text="no web origin").wait_for()
    assert demo.site in await line.inner_text()
    await page.wait_for_function("() => document.querySelector('iframe').offsetHeight < 120")
    assert console == [await line.inner_text()]
    await context.close()
