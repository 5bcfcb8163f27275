"""Sentences that count take the plural form of the reader's language."""

from __future__ import annotations

import pytest

from commentsvc.domain.letters.texts import say_count


@pytest.mark.parametrize(
    ("language", "count", "said"),
    [
        ("fr", 0, "Une réponse à votre commentaire"),  # French counts zero as one
        ("fr", 1, "Une réponse à votre commentaire"),
        ("fr", 2, "2 réponses à vos commentaires"),
        ("fr", 1_000_000, "1000000 réponses à vos commentaires"),  # CLDR's "many": the other form
        ("en", 0, "0 replies to your comments"),
        ("en", 1, "A reply to your comment"),
        ("en", 3, "3 replies to your comments"),
        ("de", 1, "Eine Antwort auf Ihren Kommentar"),
        ("de", 0, "0 Antworten auf Ihre Kommentare"),
        ("pl", 1, "Odpowiedź na Twój komentarz"),
        ("pl", 3, "3 odpowiedzi na Twoje komentarze"),
        ("ar", 2, "ردّان على تعليقاتك"),  # Arabic has a dual
    ],
)
def test_a_count_takes_its_languages_plural_form(language, count, said):
    assert say_count(language, "replies_subject", count) == said


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (1, "W serwisie blog 1 komentarz czeka na decyzję."),
        (3, "W serwisie blog 3 komentarze czekają na decyzję."),  # "few": 2-4, 22-24…
        (5, "W serwisie blog 5 komentarzy czeka na decyzję."),  # "many": 5-21, 25-31…
        (22, "W serwisie blog 22 komentarze czekają na decyzję."),
        (25, "W serwisie blog 25 komentarzy czeka na decyzję."),
    ],
)
def test_polish_counts_take_its_few_and_many_forms(count, said):
    assert say_count("pl", "waiting", count, site="blog") == said
