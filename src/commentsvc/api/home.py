"""The service's front page: what this is, and where its demo, dashboard and API documentation
are, in French or English as the browser asks. Plain HTML under the baseline policy
(api/headers.py): no script, no style."""

from __future__ import annotations

from html import escape

from litestar import MediaType, Request, Response, get

# Each language's words; English also answers a browser that asks for neither.
WORDS = {
    "en": {
        "about": "commentsvc is a self-hosted comment and moderation service: a site adds one "
        "script tag, and its readers comment under its pages while moderators clear a queue.",
        "demo": "The demo article",
        "demo_note": "(its site is made by make run, or by commentsvc demo)",
        "dashboard": "The moderators' dashboard",
        "api": "The API documentation",
    },
    "fr": {
        "about": "commentsvc est un service de commentaires et de modération auto-hébergé : un site "
        "ajoute une balise script, ses lecteurs commentent sous ses pages et des modérateurs "
        "traitent une file d'attente.",
        "demo": "L'article de démonstration",
        "demo_note": "(son site est créé par make run, ou par commentsvc demo)",
        "dashboard": "Le tableau de bord des modérateurs",
        "api": "La documentation de l'API",
    },
}
DEFAULT_LANGUAGE = "en"

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>commentsvc</title></head>
<body><main><h1>commentsvc</h1><p>{about}</p><ul>
<li><a href="/demo/article.html">{demo}</a> {demo_note}</li>
<li><a href="/moderate">{dashboard}</a></li>
<li><a href="/schema">{api}</a> (<a href="/schema/openapi.json">OpenAPI</a>)</li>
</ul></main></body></html>
"""
PAGES = {
    lang: PAGE.format(lang=lang, **{key: escape(text) for key, text in words.items()})
    for lang, words in WORDS.items()
}


def preferred_language(accept_language: str) -> str:
    """The language of ``WORDS`` the Accept-Language header ranks first (RFC 9110 §12.5.4)."""
    ranked = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, parameters = item.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in WORDS and 0 < weight <= 1:  # 0: "not this one"; above 1: no weight at all
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@get("/", media_type=MediaType.HTML, include_in_schema=False)
async def home(request: Request) -> Response[str]:
    lang = preferred_language(request.headers.get("accept-language", ""))
    return Response(
        PAGES[lang],
        headers={"Content-Language": lang, "Vary": "Accept-Language", "Cache-Control": "no-cache"},
    )
