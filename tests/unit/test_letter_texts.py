"""Sentences that count take the plural form of the reader's language."""

from __future__ import annotations

import pytest

from commentsvc.domain.letters.texts import TEXTS, say_count


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
    ],
)
def test_a_count_takes_its_languages_plural_form(language, count, said):
    assert say_count(language, "replies_subject", count) == said


def test_every_counting_sentence_has_its_other_form():
    counting = {name.rsplit(".", 1)[0] for name in TEXTS if name.endswith(".one")}
    assert counting and all(f"{name}.other" in TEXTS for name in counting)
