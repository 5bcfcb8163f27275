"""The dashboard's browser tests' helpers: signing in through its form, in a language,
and asking axe about the page."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from tests.builders import PASSWORD, Reader, make_moderator, make_site, post_comment, register, unique_name

# The sign-in form's labels and button, in each of the dashboard's languages.
SIGN_IN = {
    "en": ("en-GB", "?lang=en", "Username or email", "Password", "Sign in"),
    "fr": ("fr-FR", "", "Nom d'utilisateur ou e-mail", "Mot de passe", "Se connecter"),
    "de": ("de-DE", "", "Benutzername oder E-Mail", "Passwort", "Anmelden"),
    "ar": ("ar-EG", "", "اسم المستخدم أو البريد الإلكتروني", "كلمة المرور", "تسجيل الدخول"),
}
# The languages every dashboard test runs in (test_dashboard_languages.py checks the others').
LANGUAGES = ("en", "fr")


@dataclass
class Queue:
    site: str
    article: str
    author: Reader
    moderator: Reader
    comments: list[dict]


async def a_queue(live_url, db, *bodies: str, article: str | None = None, **site_settings: object) -> Queue:
    """A new site (pre-moderated unless the settings say otherwise) with its moderator, and one
    author's comments with these bodies on one article."""
    site = await make_site(db, **{"moderation": "pre", **site_settings})
    article = article or unique_name("article")
    async with httpx.AsyncClient(base_url=live_url) as api:
        author = await register(api)
        moderator = await make_moderator(api, db, site)
        comments = [await post_comment(api, author, site, article, body) for body in bodies]
    return Queue(site, article, author, moderator, comments)


async def open_dashboard(browser, live_url, lang="en", **context_options):
    """A new browser context on the dashboard's sign-in screen; returns the context, the page
    and the dashboard's response."""
    locale, query, *_ = SIGN_IN[lang]
    context = await browser.new_context(locale=locale, **context_options)
    page = await context.new_page()
    response = await page.goto(f"{live_url}/moderate{query}")
    return context, page, response


async def sign_in(browser, live_url, reader, lang="en", **context_options):
    """A new browser context on the dashboard, signed in as ``reader`` through its form; returns
    the context, the page and the dashboard's response."""
    context, page, response = await open_dashboard(browser, live_url, lang, **context_options)
    _, _, login, password, button = SIGN_IN[lang]
    await page.get_by_label(login).fill(reader.username)
    await page.get_by_label(password).fill(PASSWORD)
    await page.get_by_role("button", name=button).click()
    return context, page, response


async def serious_violations(page) -> str:
    """axe's serious and critical findings on the page as it is now, as JSON ('[]': none)."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return json.dumps(serious, indent=1)[:2000]


# The words the tests look for, in each language (as a moderator reads them).
WORDS = {
    "en": {
        "queue": "Queue",
        "language": "Language",
        "log": "Audit log",
        "sign_out": "Sign out",
        "site": "Site",
        "hint": "Enter: reject with this reason · Escape: back to the keys",
        "ban_title": "Ban @{} from this site",
        "how_long": "How long",
        "ban_reason": "Reason (the author is shown it)",
        "a_week": "for 7 days",
        "confirm": "Ban",
        "banned": "@{} is banned for 7 days.",
        "close": "Close to new comments",
        "reopen": "Reopen to comments",
        "closed_now": "“{}” is closed to new comments.",
        "reopened_now": "“{}” is open to comments again.",
        "lift": "Lift the ban",
        "unbanned": "@{} may comment again.",
        "held": "Held",
        "approve": "Approve",
        "why_links": "Why: too many links (2, over the limit of 1)",
        "why_reports": "Why: reported by readers (1)",
        "off_topic": "Off topic — {} (@{})",
        "comment": "comment #{}",
        "decided_approve": "Decided: approved.",
        "history": "0 approved, 0 rejected · account since ",
        "when": "When",
        "target": "Target",
        "approved": "approved",
        "rejected": "rejected",
        "ban": "banned",
        "unban": "ban lifted",
        "lock": "closed to new comments",
        "unlock": "reopened to comments",
        "describe": "title and address set",
    },
    "fr": {
        "queue": "File d'attente",
        "language": "Langue",
        "log": "Journal",
        "sign_out": "Se déconnecter",
        "site": "Site",
        "hint": "Entrée : rejeter avec ce motif · Échap : revenir aux touches",
        "ban_title": "Bannir @{} de ce site",
        "how_long": "Pour combien de temps",
        "ban_reason": "Motif (montré à l'auteur)",
        "a_week": "pour 7 jours",
        "confirm": "Bannir",
        "banned": "@{} est banni pour 7 jours.",
        "close": "Fermer aux commentaires",
        "reopen": "Rouvrir aux commentaires",
        "closed_now": "« {} » est fermé aux nouveaux commentaires.",
        "reopened_now": "« {} » est de nouveau ouvert aux commentaires.",
        "lift": "Lever le bannissement",
        "unbanned": "@{} peut de nouveau commenter.",
        "held": "Retenu",
        "approve": "Approuver",
        "why_links": "Pourquoi : trop de liens (2, au-delà de 1)",
        "why_reports": "Pourquoi : signalé par des lecteurs (1)",
        "off_topic": "Hors sujet — {} (@{})",
        "comment": "commentaire n° {}",
        "decided_approve": "Décidé : approuvé.",
        "history": "0 approuvé, 0 rejeté · compte depuis le ",
        "when": "Quand",
        "target": "Cible",
        "approved": "approuvé",
        "rejected": "rejeté",
        "ban": "banni",
        "unban": "bannissement levé",
        "lock": "fermé aux commentaires",
        "unlock": "rouvert aux commentaires",
        "describe": "titre et adresse définis",
    },
}


async def choose_language(page, lang: str) -> None:
    """Picks a language in the dashboard's selector (each language named in its own)."""
    await page.locator("#lang").select_option(lang)
