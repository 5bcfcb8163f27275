"""The dashboard's Settings view in Chromium, in French and English: shown to a site's owners
only, a form made from the settings the service describes, a value the service refuses told next
to its field (and to screen readers) with nothing changed, origins, moderators and the SSO secret
managed from it, each change in the audit log; axe finds nothing serious."""

from __future__ import annotations

import httpx
import pytest

from commentsvc.domain.roles import grant
from tests.browser.dashboard import LANGUAGES, serious_violations, sign_in
from tests.builders import make_moderator, make_site, register, unique_name

WORDS = {
    "en": {
        "settings": "Settings",
        "log": "Audit log",
        "max_links": "Links a comment may hold before it is held",
        "moderation": "When comments are reviewed",
        "pre": "before publication (pre-moderation)",
        "save": "Save",
        "saved": "Settings saved.",
        "between": "Must be between 0 and 1000.",
        "hint": "from 0 to 1000 · default: 3",
        "changed": "settings changed",
        "change": "Links a comment may hold before it is held: 3 → 7 · When comments are reviewed: post → pre",
        "origin": "Origin to allow",
        "bad_origin": "Give an http(s) address such as https://www.example.org.",
        "origin_added": "https://www.news.example may show the comments.",
        "add": "Add",
        "remove": "Remove",
        "moderator": "Username of the new moderator",
        "moderator_added": "@{} moderates this site.",
        "no_account": "No account has that username.",
        "rotate": "Make a new secret",
        "secret": "The new secret, shown this once",
    },
    "fr": {
        "settings": "Réglages",
        "log": "Journal",
        "max_links": "Liens permis dans un commentaire avant qu'il soit retenu",
        "moderation": "Quand les commentaires sont examinés",
        "pre": "avant publication (pré-modération)",
        "save": "Enregistrer",
        "saved": "Réglages enregistrés.",
        "between": "Doit être compris entre 0 et 1000.",
        "hint": "de 0 à 1000 · par défaut : 3",
        "changed": "réglages modifiés",
        "change": (
            "Liens permis dans un commentaire avant qu'il soit retenu : 3 → 7 · "
            "Quand les commentaires sont examinés : post → pre"
        ),
        "origin": "Origine à autoriser",
        "bad_origin": "Donnez une adresse http(s) telle que https://www.example.org.",
        "origin_added": "https://www.news.example peut afficher les commentaires.",
        "add": "Ajouter",
        "remove": "Retirer",
        "moderator": "Nom d'utilisateur du nouveau modérateur",
        "moderator_added": "@{} modère ce site.",
        "no_account": "Aucun compte n'a ce nom d'utilisateur.",
        "rotate": "Créer un nouveau secret",
        "secret": "Le nouveau secret, montré cette seule fois",
    },
}


async def an_owner(live_url: str, db, site: str):
    async with httpx.AsyncClient(base_url=live_url) as api:
        owner = await register(api, username=unique_name("owner"))
    await grant(db, owner.username, "owner", site)
    return owner


async def described_by(field) -> str:
    """What a screen reader says of the field beside its name: the texts its aria-describedby names."""
    return await field.evaluate(
        """field => (field.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
                      .map(id => document.getElementById(id).textContent).join(' | ')"""
    )


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_value_the_service_refuses_is_told_next_to_its_field_and_a_good_one_is_saved(
    browser, live_url, db, artifacts, lang
):
    words = WORDS[lang]
    site = await make_site(db)
    owner = await an_owner(live_url, db, site)
    context, page, _ = await sign_in(browser, live_url, owner, lang)
    await page.get_by_role("button", name=words["settings"], exact=True).click()
    max_links = page.get_by_label(words["max_links"])
    await max_links.wait_for()
    assert await max_links.input_value() == "3"
    assert await described_by(max_links) == words["hint"]

    before = await db.fetchrow("SELECT * FROM sites WHERE slug = $1", site)
    await max_links.fill("5000")
    await page.get_by_label(words["moderation"]).select_option(label=words["pre"])
    await page.get_by_role("button", name=words["save"], exact=True).click()
    refusal = page.locator("#setting-max_links-error")
    await refusal.filter(has_text=words["between"]).wait_for()
    assert await max_links.get_attribute("aria-invalid") == "true"
    assert await described_by(max_links) == f"{words['hint']} | {words['between']}"
    assert await max_links.evaluate("field => document.activeElement === field")
    assert await db.fetchrow("SELECT * FROM sites WHERE slug = $1", site) == before
    assert await serious_violations(page) == "[]"
    await page.screenshot(path=str(artifacts / f"dashboard-settings-refused-{lang}.png"), full_page=True)

    await max_links.fill("7")
    await page.get_by_role("button", name=words["save"], exact=True).click()
    await page.get_by_role("status").filter(has_text=words["saved"]).wait_for()
    assert await refusal.text_content() == ""
    assert await max_links.get_attribute("aria-invalid") is None
    row = await db.fetchrow("SELECT max_links, moderation FROM sites WHERE slug = $1", site)
    assert tuple(row) == (7, "pre")

    await page.get_by_role("button", name=words["log"], exact=True).click()
    entry = page.locator("#entries tr").first
    await entry.filter(has_text=words["changed"]).wait_for()
    assert await entry.locator("td.reason").text_content() == words["change"]
    assert await serious_violations(page) == "[]"
    await context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_an_owner_allows_an_origin_names_a_moderator_and_makes_an_sso_secret(
    browser, live_url, db, lang
):
    words = WORDS[lang]
    site = await make_site(db, origins=("https://news.example",))
    owner = await an_owner(live_url, db, site)
    async with httpx.AsyncClient(base_url=live_url) as api:
        helper = await register(api)
    context, page, _ = await sign_in(browser, live_url, owner, lang)
    await page.get_by_role("button", name=words["settings"], exact=True).click()

    await page.locator("#origins li").first.wait_for()
    origin = page.get_by_label(words["origin"])
    await origin.fill("javascript:alert(1)")
    await page.locator("#origin-form").get_by_role("button", name=words["add"]).click()
    await page.locator("#new-origin-error").filter(has_text=words["bad_origin"]).wait_for()
    assert await origin.get_attribute("aria-invalid") == "true"
    assert await described_by(origin) == words["bad_origin"]
    await origin.fill("HTTPS://www.News.Example/une-page")
    await page.locator("#origin-form").get_by_role("button", name=words["add"]).click()
    await page.get_by_role("status").filter(has_text=words["origin_added"]).wait_for()
    listed = await page.locator("#origins li").all_text_contents()
    assert [text.removesuffix(words["remove"]) for text in listed] == [
        "https://news.example",
        "https://www.news.example",
    ]
    assert await origin.get_attribute("aria-invalid") is None

    moderator = page.get_by_label(words["moderator"])
    await moderator.fill("nobody-by-that-name")
    await page.locator("#moderator-form").get_by_role("button", name=words["add"]).click()
    await page.locator("#new-moderator-error").filter(has_text=words["no_account"]).wait_for()
    await moderator.fill(helper.username)
    await page.locator("#moderator-form").get_by_role("button", name=words["add"]).click()
    await (
        page.get_by_role("status")
        .filter(has_text=words["moderator_added"].format(helper.username))
        .wait_for()
    )
    await page.locator("#moderators li").filter(has_text=f"@{helper.username}").wait_for()

    await page.get_by_role("button", name=words["rotate"]).click()
    shown = page.locator("#sso-secret")
    await shown.filter(has_text=words["secret"]).wait_for()
    secret = (await shown.text_content()).rsplit(" ", 1)[1]
    assert len(secret) >= 32
    assert await serious_violations(page) == "[]"
    await context.close()

    assert await db.fetchval("SELECT origins FROM sites WHERE slug = $1", site) == [
        "https://news.example",
        "https://www.news.example",
    ]
    assert (
        await db.fetchval(
            "SELECT secret FROM sso_secrets k JOIN sites s ON s.id = k.site_id WHERE s.slug = $1", site
        )
        == secret
    )
    actions = await db.fetch(
        "SELECT action FROM audit_log l JOIN sites s ON s.id = l.site_id WHERE s.slug = $1 ORDER BY l.id",
        site,
    )
    assert [row["action"] for row in actions] == ["origin_add", "moderator_grant", "sso_rotate"]


async def test_a_moderator_who_does_not_own_the_site_is_not_shown_the_settings(browser, live_url, db):
    site = await make_site(db)
    async with httpx.AsyncClient(base_url=live_url) as api:
        moderator = await make_moderator(api, db, site)
    context, page, _ = await sign_in(browser, live_url, moderator, "en")
    await page.get_by_role("button", name="Audit log", exact=True).wait_for()
    assert not await page.get_by_role("button", name=WORDS["en"]["settings"], exact=True).is_visible()
    await context.close()
