"""The dashboard's Import view in Chromium, in English and French: a site's owner (today an
admin) uploads the shared Disqus export, sees the upload's and the import's progress, then its
summary and the import in the list; a moderator is not offered the view. axe finds nothing
serious."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from commentsvc.domain.roles import grant
from tests.browser.dashboard import LANGUAGES, SIGN_IN, serious_violations, sign_in
from tests.builders import PASSWORD, make_moderator, make_site, read_thread, register, unique_name

FIXTURE = Path("/work/shared/fixtures/imports/disqus.xml")
WORDS = {
    "en": {
        "import": "Import",
        "format": "Exported from",
        "file": "Export file",
        "start": "Upload and import",
        "done": "Import done.",
        "created": "Comments imported",
        "skipped": "its thread is not in the file: 1",
        "line": "2 of 3 comments imported",
        "state": "done",
    },
    "fr": {
        "import": "Importer",
        "format": "Exporté de",
        "file": "Fichier d'export",
        "start": "Envoyer et importer",
        "done": "Import terminé.",
        "created": "Commentaires importés",
        "skipped": "son fil n'est pas dans le fichier : 1",
        "line": "2 commentaires importés sur 3",
        "state": "terminé",
    },
}


async def sign_in_to_site(browser, live_url, reader, site, lang):
    """The dashboard on ``site`` (an admin moderates every site: the site is in the address)."""
    locale, query, login, password, button = SIGN_IN[lang]
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(f"{live_url}/moderate?site={site}" + (f"&{query[1:]}" if query else ""))
    await page.get_by_label(login).fill(reader.username)
    await page.get_by_label(password).fill(PASSWORD)
    await page.get_by_role("button", name=button).click()
    return context, page


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_an_owner_uploads_a_disqus_export_and_reads_its_summary(browser, live_url, db, artifacts, lang):
    words = WORDS[lang]
    site = await make_site(db)
    async with httpx.AsyncClient(base_url=live_url) as api:
        admin = await register(api, username=unique_name("admin"))
    await grant(db, admin.username, "admin", None)
    context, page = await sign_in_to_site(browser, live_url, admin, site, lang)

    await page.get_by_role("button", name=words["import"], exact=True).click()
    view = page.locator("#imports")
    await view.wait_for()
    assert await serious_violations(page) == "[]"
    await view.get_by_label(words["format"]).select_option("disqus")
    await view.get_by_label(words["file"]).set_input_files(str(FIXTURE))
    await view.get_by_role("button", name=words["start"]).click()

    await view.get_by_text(words["done"]).wait_for(timeout=60_000)
    summary = view.locator("#import-current dl")
    await summary.get_by_text(words["created"]).wait_for()
    assert "2" in await summary.locator("dt", has_text=words["created"]).locator("+ dd").inner_text()
    await summary.get_by_text(words["skipped"]).wait_for()
    row = view.locator("#import-jobs tr").first
    await row.get_by_text(words["line"]).wait_for()
    assert words["state"] in await row.inner_text()
    assert await serious_violations(page) == "[]"
    await page.screenshot(path=str(artifacts / f"dashboard-import-{lang}.png"), full_page=True)

    # The comments are there, for readers.
    async with httpx.AsyncClient(base_url=live_url) as api:
        thread = await read_thread(api, site, "/")
    assert thread["article"]["comment_count"] == 2
    await context.close()


async def test_a_moderator_is_not_offered_the_import_view(browser, live_url, db):
    site = await make_site(db)
    async with httpx.AsyncClient(base_url=live_url) as api:
        moderator = await make_moderator(api, db, site)
    context, page, _ = await sign_in(browser, live_url, moderator)
    await page.get_by_role("button", name="Audit log").wait_for()
    assert await page.get_by_role("button", name="Import", exact=True).count() == 0
    await context.close()
