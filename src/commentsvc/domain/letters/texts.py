"""Every sentence of every e-mail, in each language the service writes mail in: one place to
translate, and to see that no language lacks one."""

from __future__ import annotations

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

TEXTS: dict[str, dict[str, str]] = {
    # Between a label and what it labels ("Lien : https://…").
    "colon": {"fr": " : ", "en": ": "},
    "greeting": {"fr": "Bonjour {name},", "en": "Hello {name},"},
    "unsubscribe": {
        "fr": "Pour ne plus recevoir ces e-mails : {url}",
        "en": "To stop receiving these e-mails: {url}",
    },
    "unsubscribe_link": {"fr": "Se désabonner", "en": "Unsubscribe"},
    "automatic": {
        "fr": "Cet e-mail a été envoyé automatiquement ; inutile d'y répondre.",
        "en": "This e-mail was sent automatically; there is no need to answer it.",
    },
}


def say(language: str, sentence: str, **values: object) -> str:
    """The sentence named ``sentence`` in ``language`` (the default language's if it has none), with its
    placeholders filled."""
    sentences = TEXTS[sentence]
    return sentences.get(language, sentences[DEFAULT_LANGUAGE]).format(**values)


def language_of(accept_language: str | None) -> str:
    """The first language of an Accept-Language header that mail is written in; else the default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return DEFAULT_LANGUAGE
