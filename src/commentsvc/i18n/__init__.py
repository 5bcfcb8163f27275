"""The languages the service speaks, and its catalogues: one JSON file per surface and language
(``i18n/<surface>/<lang>.json``), the same keys in every language, ``{name}`` placeholders, and a
plural message as an object keyed by CLDR category (zero, one, two, few, many, other). French is
the reference: the language of the service where nothing says otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt", "pl", "ar")
DEFAULT_LANGUAGE = "fr"
RIGHT_TO_LEFT = frozenset({"ar"})
# The widget in two parts (what shows the thread; its forms and refusals, loaded when first needed,
# with the sign-in popup's words), the e-mails, the account pages, the moderation pages, and the
# titles of the Atom feeds.
SURFACES = ("widget", "widget_forms", "mail", "account", "dashboard", "feeds")


def nearest(tags: Iterable[str], fallback: str = DEFAULT_LANGUAGE) -> str:
    """The first of these language tags ("pt-BR", "de") the service speaks, by its primary
    subtag; else the fallback."""
    for tag in tags:
        primary = tag.strip().split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return fallback


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


@cache
def catalogue(surface: str, language: str) -> dict[str, Any]:
    path = resources.files(__package__).joinpath(surface, f"{language}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def from_accept_language(header: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The first language of an Accept-Language header the service speaks; else the fallback."""
    return nearest((part.split(";")[0] for part in (header or "").split(",")), fallback)
