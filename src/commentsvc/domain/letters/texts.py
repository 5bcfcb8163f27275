"""Every sentence of every e-mail, in the reader's language: the mail catalogues
(i18n/mail/<lang>.json, French the reference), with Babel's CLDR plural rules for the sentences
that count."""

from __future__ import annotations

from functools import cache

from babel import Locale

from commentsvc.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue
from commentsvc.model.moderation import Finding


def _sentences(language: str) -> dict:
    return catalogue("mail", language if language in LANGUAGES else DEFAULT_LANGUAGE)


def say(language: str, sentence: str, **values: object) -> str:
    """The sentence named ``sentence`` in ``language`` (the default language's if the service does
    not speak it), with its placeholders filled."""
    return _sentences(language)[sentence].format(**values)


def rule_said(language: str, finding: Finding) -> str:
    """A rule that held a comment, with what it found when its sentence says more."""
    rule = say(language, f"rule_{finding.rule}")
    detail = f"detail_{finding.rule}"
    if detail not in _sentences(language) or finding == Finding(
        finding.rule
    ):  # (held before findings were kept)
        return rule
    words = say(language, "detail_words").join(finding.words or ())
    values = {"count": finding.count, "limit": finding.limit, "minutes": finding.minutes, "words": words}
    return say(language, "rule_detail", rule=rule, detail=say(language, detail, **values))


def say_count(language: str, sentence: str, count: int, **values: object) -> str:
    """The form of the sentence ``sentence`` that ``count`` takes in ``language`` (its plural
    category, by CLDR's rules: French says "1 réponse" and "0 réponse", English "0 replies")."""
    forms = _sentences(language)[sentence]
    return forms[_locale(language).plural_form(count)].format(count=count, **values)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language if language in LANGUAGES else DEFAULT_LANGUAGE)
