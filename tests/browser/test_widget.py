"""The widget on the demo article, served from another origin than the service."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser.stage import open_article
from tests.builders import PASSWORD, post_comment, register, unique_name

ARTICLE = "un-tiers-lieu-pour-les-rassembler-tous"


async def sign_in(frame, reader) -> None:
    """Through the widget's own form."""
    await frame.get_by_role("button", name="Connectez-vous").click()
    await frame.get_by_label("Nom d'utilisateur ou e-mail").fill(reader.username)
    await frame.get_by_label("Mot de passe").fill(PASSWORD)
    await frame.get_by_role("button", name="Se connecter").click()
    await frame.get_by_text("Connecté : ").wait_for()


async def test_signed_out_reader_sees_the_seed_page_sentences_in_french(browser, demo, artifacts):
    context, page, frame = await open_article(browser, demo)
    await frame.get_by_text("Nombre de commentaires : 0").wait_for()
    await frame.get_by_role("button", name="Ajouter un commentaire").wait_for()
    text = await frame.locator("#account").inner_text()
    assert "Connectez-vous ou Inscrivez-vous pour publier un commentaire." in text
    await page.screenshot(path=str(artifacts / "widget-signed-out-fr.png"), full_page=True)
    await context.close()


async def test_a_reader_registers_posts_replies_edits_votes_reports_and_deletes(
    browser, demo, db, live_url, artifacts
):
    async with httpx.AsyncClient(base_url=live_url) as api:
        other = await register(api)
        theirs = await post_comment(api, other, demo.site, ARTICLE, "Un premier avis, **argumenté**.")
    context, page, frame = await open_article(browser, demo)
    await frame.get_by_text("Nombre de commentaires : 1").wait_for()
    name = unique_name("zoe")
    await frame.get_by_role("button", name="Inscrivez-vous").click()
    await frame.get_by_label("Nom d'utilisateur").fill(name)
    await frame.get_by_label("E-mail").fill(f"{name}@example.org")
    await frame.get_by_label("Mot de passe (10 caractères au moins)").fill(PASSWORD)
    await frame.get_by_role("button", name="Créer mon compte").click()
    await frame.get_by_text("Connecté : " + name).wait_for()

    composer = frame.get_by_role("textbox", name="Votre commentaire (Markdown)").first
    await composer.fill("Très *juste* : voir [le site](https://example.org).")
    await frame.get_by_role("button", name="Aperçu").first.click()
    await frame.locator(".preview em").wait_for()
    await frame.get_by_role("button", name="Publier").first.click()
    await frame.get_by_text("Nombre de commentaires : 2").wait_for()
    mine = frame.locator("article.comment").filter(has_text="Très juste")
    await mine.locator("a[href='https://example.org']").wait_for()

    # Reply to the other reader's comment.
    their_node = frame.locator(f"article[data-id='{theirs['id']}']")
    await their_node.get_by_role("button", name="Répondre").first.click()
    await their_node.get_by_role("textbox").fill("D'accord avec vous.")
    await their_node.get_by_role("button", name="Publier").click()
    await frame.get_by_text("Nombre de commentaires : 3").wait_for()

    # Vote and report on theirs.
    await their_node.get_by_role("button", name="J'approuve").first.click()
    await (
        frame.locator(f"article[data-id='{theirs['id']}'] > .actions .score")
        .filter(has_text="1 point")
        .wait_for()
    )
    await their_node.get_by_role("button", name="Signaler").first.click()
    await their_node.get_by_role("combobox", name="Motif du signalement").select_option("off_topic")
    await their_node.locator("form").get_by_role("button", name="Signaler").click()
    await frame.get_by_text("Merci, le commentaire est signalé.").wait_for()

    # Edit, then delete, my own.
    mine_id = (
        await frame.locator("article.comment").filter(has_text="Très juste").first.get_attribute("data-id")
    )
    mine = frame.locator(f"article[data-id='{mine_id}']")
    await mine.get_by_role("button", name="Modifier").click()
    await mine.get_by_role("textbox").fill("Très juste, corrigé.")
    await mine.get_by_role("button", name="Enregistrer").click()
    await (
        frame.locator("article.comment")
        .filter(has_text="Très juste, corrigé.")
        .filter(has_text="modifié")
        .first.wait_for()
    )
    page.once("dialog", lambda dialog: dialog.accept())
    await (
        frame.locator("article.comment")
        .filter(has_text="Très juste, corrigé.")
        .first.get_by_role("button", name="Supprimer")
        .click()
    )
    await frame.get_by_text("Nombre de commentaires : 2").wait_for()
    await page.screenshot(path=str(artifacts / "widget-journey-fr.png"), full_page=True)

    rows = await db.fetch(
        "SELECT c.body, c.status FROM comments c JOIN articles a ON a.id = c.article_id "
        "JOIN users u ON u.id = c.author_id WHERE u.username = $1 ORDER BY c.id",
        name,
    )
    assert [(r["body"], r["status"]) for r in rows] == [
        ("Très juste, corrigé.", "deleted"),
        ("D'accord avec vous.", "approved"),
    ]
    assert await db.fetchval("SELECT score FROM comments WHERE id = $1", theirs["id"]) == 1
    assert await db.fetchval("SELECT reason FROM reports WHERE comment_id = $1", theirs["id"]) == "off_topic"

    # A reload keeps the session; the host page can read no token.
    await page.reload()
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_text("Connecté : " + name).wait_for()
    host_storage = await page.evaluate("() => JSON.stringify({...localStorage}) + document.cookie")
    assert "csvc" not in host_storage and "eyJ" not in host_storage
    reach = await page.evaluate(
        "() => { try { return document.querySelector('section.reactions iframe').contentWindow.localStorage.length; }"
        " catch (e) { return 'blocked'; } }"
    )
    assert reach == "blocked"
    await context.close()


async def test_a_long_threads_further_replies_come_with_a_button_saying_how_many(browser, demo, live_url):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
        root = await post_comment(api, reader, demo.site, ARTICLE, "Un sujet qui fait parler.")
        replies = []
        for n in range(101):  # the 51st answers the 50th, shown on the page before it
            parent = replies[49] if n == 50 else root["id"]
            reply = await post_comment(api, reader, demo.site, ARTICLE, f"Réponse {n + 1}.", parent_id=parent)
            replies.append(reply["id"])
    context, page, frame = await open_article(browser, demo)
    thread = frame.locator(f"article[data-id='{root['id']}']")
    await thread.locator("article.comment").nth(49).wait_for()
    assert await thread.locator("article.comment").count() == 50
    await thread.get_by_role("button", name="51 autres réponses").click()
    await thread.get_by_role("button", name="1 autre réponse").wait_for()
    assert await thread.locator("article.comment").count() == 100
    nested = frame.locator(f"article[data-id='{replies[49]}'] > .replies > article[data-id='{replies[50]}']")
    assert await nested.count() == 1
    assert await frame.locator(f"article[data-id='{replies[50]}']").evaluate(
        "n => n === document.activeElement"
    )
    await thread.get_by_role("button", name="1 autre réponse").click()
    await thread.get_by_text("Réponse 101.").wait_for()
    assert await thread.get_by_role("button", name="autre").count() == 0
    ids = await thread.locator("article.comment").evaluate_all(
        "nodes => nodes.map(n => Number(n.dataset.id))"
    )
    assert sorted(ids) == replies and len(set(ids)) == len(replies)
    await context.close()

    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(demo.url("article.html?lang=en"))
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_role("button", name="51 more replies").wait_for()
    await context.close()


async def test_the_host_pages_styles_do_not_reach_the_widget(browser, demo):
    context, page, frame = await open_article(browser, demo)
    host_button = await page.evaluate(
        "() => { const b = document.createElement('button'); document.body.append(b);"
        " return getComputedStyle(b).backgroundColor; }"
    )
    assert host_button == "rgb(255, 255, 0)"
    widget_button = frame.get_by_role("button", name="Ajouter un commentaire")
    background = await widget_button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert background != "rgb(255, 255, 0)"
    await context.close()


async def test_the_listing_page_gets_every_count_in_one_request(browser, demo, live_url):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
        for _ in range(2):
            await post_comment(api, reader, demo.site, ARTICLE)
        await post_comment(api, reader, demo.site, "la-fibre-arrive-dans-les-bourgs-du-cantal")
    context = await browser.new_context()
    page = await context.new_page()
    counts_requests = []
    page.on(
        "request", lambda request: counts_requests.append(request.url) if "/counts" in request.url else None
    )
    await page.goto(demo.url("listing.html"))
    await (
        page.locator("[data-commentsvc-count='la-fibre-arrive-dans-les-bourgs-du-cantal']")
        .filter(has_text="1")
        .wait_for()
    )
    assert await page.locator(f"[data-commentsvc-count='{ARTICLE}']").inner_text() == "2"
    assert len(counts_requests) == 1
    await context.close()


async def test_the_same_journey_in_english(browser, demo, artifacts):
    context = await browser.new_context(locale="en-GB", viewport={"width": 1000, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(10_000)

    await page.goto(demo.url("article.html?lang=en"))
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_text("Number of comments: 0").wait_for()
    name = unique_name("sam")
    await frame.get_by_role("button", name="register").click()
    await frame.get_by_label("Username").fill(name)
    await frame.get_by_label("Email").fill(f"{name}@example.org")
    await frame.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    await frame.get_by_role("button", name="Create my account").click()
    await frame.get_by_role("textbox", name="Your comment (Markdown)").first.fill("Hello from England.")
    await frame.get_by_role("button", name="Post").first.click()
    await frame.get_by_text("Number of comments: 1").wait_for()
    await page.screenshot(path=str(artifacts / "widget-journey-en.png"), full_page=True)
    await context.close()


async def test_keyboard_only_posting(browser, demo, live_url):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
    context, page, frame = await open_article(browser, demo)
    await frame.get_by_role("button", name="Connectez-vous").focus()
    await page.keyboard.press("Enter")
    # The first form comes with the forms' script, a moment after the key: it takes the focus.
    await frame.get_by_label("Nom d'utilisateur ou e-mail").wait_for()
    await page.keyboard.type(reader.username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await frame.get_by_text("Connecté : ").wait_for()
    await frame.get_by_role("textbox", name="Votre commentaire (Markdown)").first.focus()
    await page.keyboard.type("Écrit au clavier seulement.")
    await page.keyboard.press("Tab")  # Aperçu
    await page.keyboard.press("Tab")  # Publier
    await page.keyboard.press("Enter")
    await frame.get_by_text("Écrit au clavier seulement.").wait_for()
    await context.close()


async def test_a_double_click_on_publish_posts_once(browser, demo, db, live_url):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
    context, page, frame = await open_article(browser, demo)
    await sign_in(frame, reader)
    text = f"Deux clics, un commentaire ({unique_name('clic')})."
    await frame.get_by_role("textbox", name="Votre commentaire (Markdown)").first.fill(text)
    await frame.get_by_role("button", name="Publier").first.dblclick()
    await frame.get_by_text(text).wait_for()
    await frame.get_by_text("Nombre de commentaires : 1").wait_for()
    assert await frame.get_by_role("textbox", name="Votre commentaire (Markdown)").first.input_value() == ""
    assert await db.fetchval("SELECT count(*) FROM comments WHERE body = $1", text) == 1
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE user_id = $1", reader.id) == 1
    await context.close()


async def test_with_third_party_cookies_and_storage_blocked_it_still_works(strict_browser, demo, live_url):
    """The widget never needs a cookie; without storage, a reload just asks to sign in again."""
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
    context, page, frame = await open_article(strict_browser, demo)
    await sign_in(frame, reader)
    await frame.get_by_role("textbox", name="Votre commentaire (Markdown)").first.fill("Sans cookie tiers.")
    await frame.get_by_role("button", name="Publier").first.click()
    await frame.get_by_text("Sans cookie tiers.").wait_for()
    assert await context.cookies() == []
    await page.reload()
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_text("Sans cookie tiers.").wait_for()
    await frame.get_by_role("button", name="Connectez-vous").wait_for()
    await context.close()


@pytest.mark.parametrize(
    ("scheme", "width", "name"),
    [
        ("light", 1000, "desktop-light"),
        ("dark", 1000, "desktop-dark"),
        ("light", 360, "phone-light"),
        ("dark", 360, "phone-dark"),
    ],
)
async def test_screenshots_of_both_themes_on_desktop_and_phone(
    browser, demo, live_url, artifacts, scheme, width, name
):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
        first = await post_comment(
            api,
            reader,
            demo.site,
            ARTICLE,
            "Une réaction **en gras** et une [référence](https://example.org).",
        )
        await post_comment(
            api, reader, demo.site, ARTICLE, "> Citation\n\nEt une réponse.", parent_id=first["id"]
        )
    context, page, frame = await open_article(
        browser, demo, color_scheme=scheme, viewport={"width": width, "height": 800}
    )
    await frame.locator("article.comment").first.wait_for()
    section = page.locator("section.reactions")
    await section.scroll_into_view_if_needed()
    box = await section.bounding_box()
    assert box["width"] <= width
    await section.screenshot(path=str(artifacts / f"widget-{name}.png"))
    await context.close()


async def test_the_widget_has_no_serious_accessibility_violation(browser, demo, live_url):
    from axe_playwright_python.async_playwright import Axe

    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
        await post_comment(api, reader, demo.site, ARTICLE, "Pour l'audit d'accessibilité.")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(
        f"{live_url}/embed?site={demo.site}&article={ARTICLE}&origin={demo.origin}&lang=fr",
    )
    await page.locator("article.comment").first.wait_for()
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)[:2000]
    await context.close()


async def test_the_widget_shows_each_authors_username_beside_their_display_name(
    browser, demo, live_url, artifacts
):
    async with httpx.AsyncClient(base_url=live_url) as api:
        namesakes = [await register(api, display_name="Marie Martin") for _ in range(2)]
        for reader in namesakes:
            await post_comment(api, reader, demo.site, ARTICLE)
    context, page, frame = await open_article(browser, demo)
    await frame.get_by_text("Nombre de commentaires : 2").wait_for()
    metas = frame.locator("article.comment .meta")
    lines = [await metas.nth(n).inner_text() for n in range(2)]
    assert [line.split(" · ")[0] for line in lines] == [f"Marie Martin @{r.username}" for r in namesakes]
    await page.locator("section.reactions iframe").screenshot(path=str(artifacts / "widget-namesakes-fr.png"))
    await context.close()
