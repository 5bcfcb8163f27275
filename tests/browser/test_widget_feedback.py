"""Each state of the widget is visible and right, in French and in English: a report is
confirmed and its button gives way, a posted comment shows once, forms can be cancelled, Edit
goes when the window closes, a banned reader or a closed discussion is offered nothing to
write, and the browser checks the fields it can before anything is sent."""

from __future__ import annotations

import pytest

from tests.browser.stage import ARTICLE, LANGS, open_article, staged, widget_words
from tests.builders import PASSWORD, make_moderator, post_comment


@pytest.mark.parametrize("lang", LANGS)
async def test_a_report_is_confirmed_and_its_button_gives_way_to_a_mark(browser, db, live_url, lang):
    async with staged(browser, live_url, db, lang) as stage:
        other = await stage.reader()
        theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
        await post_comment(stage.api, other, stage.site, ARTICLE)
        await stage.open(await stage.reader())
        node = stage.comment(theirs["id"])
        await stage.button("report", node).click()
        reasons = node.get_by_role("combobox", name=stage.words["reason"]).locator("option")
        assert await reasons.all_inner_texts() == [
            stage.words[r] for r in ("spam", "abuse", "off_topic", "other")
        ]
        await stage.button("report", node.locator("form")).click()
        await node.get_by_role("status").filter(has_text=stage.words["reported"]).wait_for()
        await node.get_by_text(stage.words["reportedMark"], exact=True).wait_for()
        assert await stage.button("report", node).count() == 0
        # The thread read again (after a vote elsewhere) still shows it reported.
        await stage.button("up", stage.page.locator("article.comment").nth(1)).click()
        await stage.page.locator("article.comment").nth(1).locator(".score").filter(has_text="1").wait_for()
        await node.get_by_text(stage.words["reportedMark"], exact=True).wait_for()
        assert await stage.button("report", node).count() == 0


@pytest.mark.parametrize("lang", LANGS)
async def test_a_published_comment_shows_once_with_its_confirmation_and_the_preview_goes(
    browser, db, live_url, lang
):
    async with staged(browser, live_url, db, lang) as stage:
        await stage.open(await stage.reader())
        form = stage.page.locator("#account form.composer")
        await form.locator("textarea").fill("Un avis *nuancé*.")
        await stage.button("preview", form).click()
        await form.locator(".preview em").wait_for()
        await form.get_by_text(stage.words["previewTitle"]).wait_for()
        await stage.button("publish", form).click()
        posted = stage.page.locator("article.comment").filter(has_text="Un avis nuancé.")
        await posted.get_by_role("status").filter(has_text=stage.words["posted"]).wait_for()
        assert await form.locator(".preview").is_hidden()
        assert await stage.page.locator("em").filter(has_text="nuancé").count() == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_reply_edit_and_report_forms_can_be_cancelled(browser, db, live_url, lang):
    async with staged(browser, live_url, db, lang) as stage:
        reader, other = await stage.reader(), await stage.reader()
        mine = await post_comment(stage.api, reader, stage.site, ARTICLE, "Mon texte d'origine.")
        theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
        await stage.open(reader)

        node = stage.comment(theirs["id"])
        await stage.button("reply", node).click()
        await node.locator("textarea").fill("Finalement non.")
        await stage.button("cancel", node).click()
        assert await node.locator("form").count() == 0
        assert await stage.button("reply", node).evaluate("b => b === document.activeElement")

        await stage.button("report", node).click()
        await stage.button("cancel", node).click()
        assert await node.locator("form").count() == 0

        node = stage.comment(mine["id"])
        await stage.button("edit", node).click()
        await node.locator("textarea").fill("Tout autre chose.")
        await stage.button("cancel", node).click()
        await node.get_by_text("Mon texte d'origine.").wait_for()
        assert await node.locator("textarea").count() == 0
        assert await stage.button("edit", node).is_visible()
        assert (
            await stage.db.fetchval("SELECT body FROM comments WHERE id = $1", mine["id"])
            == "Mon texte d'origine."
        )


@pytest.mark.parametrize("lang", LANGS)
async def test_edit_is_offered_only_within_the_sites_window(browser, db, live_url, lang):
    async with staged(browser, live_url, db, lang, edit_window_minutes=1) as stage:
        reader = await stage.reader()
        closing, closed = [await post_comment(stage.api, reader, stage.site, ARTICLE) for _ in range(2)]
        await stage.db.execute(
            "UPDATE comments SET created_at = now() - interval '50 seconds' WHERE id = $1", closing["id"]
        )
        await stage.db.execute(
            "UPDATE comments SET created_at = now() - interval '5 minutes' WHERE id = $1", closed["id"]
        )
        await stage.open(reader)
        assert await stage.button("edit", stage.comment(closed["id"])).count() == 0
        edit = stage.button("edit", stage.comment(closing["id"]))
        assert await edit.is_visible()
        await edit.wait_for(state="detached")  # when its minute is over
        assert await stage.button("del", stage.comment(closing["id"])).is_visible()


@pytest.mark.parametrize("lang", LANGS)
async def test_a_banned_reader_is_told_until_when_and_why_and_offered_nothing_to_do(
    browser, db, live_url, lang
):
    async with staged(browser, live_url, db, lang) as stage:
        reader, other = await stage.reader(), await stage.reader()
        await post_comment(stage.api, other, stage.site, ARTICLE)
        await stage.ban(reader, days=2)
        page = await stage.open(reader)
        banner = page.locator("#account .banner")
        await banner.wait_for()
        assert "hors sujet" in await banner.inner_text()
        assert await page.locator("textarea").count() == 0
        assert await page.locator("article.comment").count() == 1
        for word in ("add", "up", "down", "report", "reply"):
            assert await stage.button(word).count() == 0, word


@pytest.mark.parametrize("lang", LANGS)
async def test_a_closed_discussion_says_so_and_offers_no_text_box(browser, db, live_url, lang):
    async with staged(browser, live_url, db, lang) as stage:
        reader = await stage.reader()
        await post_comment(stage.api, reader, stage.site, ARTICLE)
        lock = {"article": ARTICLE, "locked": True}
        moderator = await make_moderator(stage.api, db, stage.site)
        locked = await stage.api.put(
            f"/api/v1/sites/{stage.site}/articles/lock", json=lock, headers=moderator.auth
        )
        assert locked.status_code == 200
        page = await stage.open(reader)
        await page.locator("#closed").get_by_text(stage.words["errors"]["locked"]).wait_for()
        assert await page.locator("textarea").count() == 0
        for word in ("add", "reply"):
            assert await stage.button(word).count() == 0, word


@pytest.mark.parametrize(("lang", "query"), [("fr", ""), ("en", "?lang=en")])
async def test_add_a_comment_while_signed_out_opens_the_sign_in_form(browser, demo, lang, query):
    context, page, frame = await open_article(browser, demo, f"article.html{query}")
    words = widget_words(await frame.locator("html").get_attribute("lang"))
    await frame.get_by_role("button", name=words["add"]).click()  # with the mouse
    login = frame.get_by_label(words["login"])
    await login.wait_for()
    assert await login.evaluate("i => i === document.activeElement")
    await context.close()


@pytest.mark.parametrize("lang", LANGS)
async def test_the_browser_checks_the_registration_fields_first_in_the_widgets_words(
    browser, db, live_url, lang
):
    async with staged(browser, live_url, db, lang) as stage:
        page = await stage.open()
        sent = []
        page.on("request", lambda request: sent.append(request.url) if "/auth/" in request.url else None)
        await stage.button("signUp").click()
        form = page.locator("form.account")
        await form.wait_for()  # the first form comes with the forms' script
        constraints = await form.locator("input").evaluate_all(
            "inputs => Object.fromEntries(inputs.map(i => [i.name, [i.type, i.required, i.minLength, i.maxLength]]))"
        )
        assert constraints == {
            "username": ["text", True, 3, 32],
            "email": ["email", True, -1, 254],
            "password": ["password", True, 10, 256],
            "display_name": ["text", False, -1, 64],
        }
        errors = stage.words["errors"]
        for name, value in {"username": "zoé!", "email": "pas-une-adresse", "password": "court"}.items():
            await form.locator("input").evaluate_all("inputs => inputs.forEach(i => { i.value = ''; })")
            fields = {"username": "zoe_1", "email": "zoe@example.org", "password": PASSWORD, name: value}
            for field, text in fields.items():
                await form.locator(f"[name={field}]").fill(text)
            await form.locator("button[type=submit]").click()
            message = await form.locator(f"[name={name}]").evaluate("i => i.validationMessage")
            assert message == errors[f"invalid.{name}"], name
        assert sent == []
        assert await page.locator("[name=body]").count() == 0


async def serious_violations(page) -> list[dict]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", LANGS)
async def test_the_widgets_forms_notes_and_banners_have_no_serious_accessibility_violation(
    browser, db, live_url, lang
):
    async with staged(browser, live_url, db, lang) as stage:
        reader, other, banned = [await stage.reader() for _ in range(3)]
        theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
        mine = await post_comment(stage.api, reader, stage.site, ARTICLE)
        page = await stage.open(reader)
        await stage.button("reply", stage.comment(theirs["id"])).click()
        await stage.button("report", stage.comment(theirs["id"])).click()
        await stage.button("edit", stage.comment(mine["id"])).click()
        await stage.publish("   ")  # refused: a note beside the text box
        await page.locator("#account .note.error").wait_for()
        assert await serious_violations(page) == []

        await stage.ban(banned, days=1)
        page = await stage.open(banned)
        await page.locator("#account .banner").wait_for()
        assert await serious_violations(page) == []

        page = await stage.open()
        await stage.account_form("signUp", True, username="ab")
        await page.locator("form.account .note.error").wait_for()
        assert await serious_violations(page) == []


@pytest.mark.parametrize("lang", LANGS)
async def test_a_refused_embed_has_no_serious_accessibility_violation(browser, live_url, lang):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{live_url}/embed?site=no-such-site&article=a&origin=https://news.example&lang={lang}")
    await page.locator("#refused").filter(has_text="no-such-site").wait_for()
    assert await serious_violations(page) == []
    await context.close()
