"""The widget's own document (/embed, as the loader frames it) opened on a site of its own, in
one language, with what a test does through it: sign in, fill its forms, read its catalogue;
and a host page with the loader, for what happens around the frame."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import asyncpg
import httpx

from commentsvc.i18n import catalogue
from tests.builders import PASSWORD, Reader, make_moderator, make_site, register, unique_name

ORIGIN = "https://news.example"
ARTICLE = "les-tiers-lieux"
LANGS = ("fr", "en")


def widget_words(lang: str) -> dict:
    """The widget's catalogue in ``lang`` as a page holds it once its forms came (words.js,
    addWords): the thread's part, then the forms' part, a group both have taking both's entries."""
    words = {
        key: dict(said) if isinstance(said, dict) else said for key, said in catalogue("widget", lang).items()
    }
    for key, said in catalogue("widget_forms", lang).items():
        words[key] = {**words[key], **said} if key in words else said
    return words


@dataclass
class Stage:
    browser: object
    service: str
    api: httpx.AsyncClient
    db: asyncpg.Connection
    site: str
    lang: str
    page: object = None
    words: dict | None = None

    async def reader(self, **overrides: object) -> Reader:
        return await register(self.api, **overrides)

    async def open(self, reader: Reader | None = None) -> object:
        """The widget's document, as the loader frames it, signed in as ``reader`` if given
        (in a browser of its own: the previous one is closed)."""
        if self.page is not None:
            await self.page.context.close()
        context = await self.browser.new_context(viewport={"width": 900, "height": 900})
        self.page = page = await context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda message: print("console:", message.text))
        query = urlencode({"site": self.site, "article": ARTICLE, "origin": ORIGIN, "lang": self.lang})
        await page.goto(f"{self.service}/embed?{query}")
        if reader is not None:
            await self.store(access=reader.access_token, refresh=reader.refresh_token, me=reader)
            await page.reload()
            await page.locator("#account .row").first.wait_for()
        await page.locator("#comments > *").first.wait_for()
        # The forms' words come with the first form: the catalogue itself says them all.
        self.words = widget_words(self.lang)
        return page

    async def store(
        self, access: str | None = None, refresh: str | None = None, me: Reader | None = None
    ) -> None:
        """What the widget keeps in the frame's storage, as another tab of it would leave it."""
        user = json.dumps({"id": me.id, "username": me.username, "display_name": me.username}) if me else None
        await self.page.evaluate(
            """([access, refresh, me]) => {
                 for (const [key, value] of [["csvc.access", access], ["csvc.refresh", refresh], ["csvc.me", me]]) {
                   if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
                 }
               }""",
            [access, refresh, user],
        )

    def button(self, word: str, within: object = None):
        return (within or self.page).get_by_role("button", name=self.words[word], exact=True)

    def comment(self, comment_id: int):
        return self.page.locator(f"article[data-id='{comment_id}']")

    async def account_form(self, kind: str, bypass: bool, **values: str) -> None:
        """Fill the sign-in ("signIn") or registration ("signUp") form and send it. ``bypass``: as
        a browser that checks nothing itself, so the service's answer is the one shown."""
        await self.button(kind).click()
        form = self.page.locator("form.account")
        if bypass:
            await form.evaluate(
                "f => { f.noValidate = true; f.querySelectorAll('input').forEach(i =>"
                " ['minlength', 'maxlength', 'pattern'].forEach(a => i.removeAttribute(a))); }"
            )
        for name, value in values.items():
            await form.locator(f"[name={name}]").fill(value)
        await form.locator("button[type=submit]").click()

    async def registration(self, bypass: bool = False, **values: str) -> None:
        name = unique_name("zoe")
        fields = {"username": name, "email": f"{name}@example.org", "password": PASSWORD, **values}
        await self.account_form("signUp", bypass, **fields)

    async def publish(self, text: str, within: object = None) -> None:
        form = (within or self.page.locator("#account")).locator("form.composer")
        await form.locator("textarea").fill(text)
        await form.locator("button[type=submit]").click()

    async def ban(self, reader: Reader, days: int | None = None) -> None:
        moderator = await make_moderator(self.api, self.db, self.site)
        body = {"user_id": reader.id, "reason": "hors sujet", **({"days": days} if days else {})}
        response = await self.api.post(f"/api/v1/sites/{self.site}/bans", json=body, headers=moderator.auth)
        assert response.status_code == 201, response.text


@contextlib.asynccontextmanager
async def staged(
    browser, service: str, db: asyncpg.Connection, lang: str, **settings: object
) -> AsyncIterator[Stage]:
    """A new site (with these settings) and a stage on it; the browser context closed afterwards."""
    site = await make_site(db, origins=(ORIGIN,), **settings)
    async with httpx.AsyncClient(base_url=service) as api:
        stage = Stage(browser, service, api, db, site, lang)
        try:
            yield stage
        finally:
            if stage.page is not None:
                await stage.page.context.close()


async def sentence(page, key: str) -> re.Pattern[str]:
    """The catalogue's error sentence for ``key`` in the page's language, its {…} as any text."""
    template = widget_words(await page.evaluate("document.documentElement.lang"))["errors"].get(key)
    assert template, f"no sentence for {key!r}"
    return re.compile("^" + ".+".join(re.escape(part) for part in re.split(r"\{\w+\}", template)) + "$")


async def open_article(browser, demo, path: str = "article.html", **context_options):
    """The demo article on the host pages' origin, with the widget loaded in its frame."""
    context = await browser.new_context(**{"viewport": {"width": 1000, "height": 900}, **context_options})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda message: print("console:", message.text))
    await page.goto(demo.url(path))
    frame = page.frame_locator("section.reactions iframe")
    await frame.locator("#count").wait_for()
    return context, page, frame
