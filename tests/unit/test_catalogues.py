"""Every catalogue has every message of the reference (French), with the same placeholders, and each
plural message has the forms its language's CLDR rules call for."""

from __future__ import annotations

import re

import pytest
from babel import Locale

from commentsvc.i18n import DEFAULT_LANGUAGE, LANGUAGES, SURFACES, catalogue, from_accept_language, nearest

CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def is_plural(entry: object) -> bool:
    return isinstance(entry, dict) and "other" in entry and set(entry) <= CATEGORIES


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def compare(reference: dict, translated: dict, language: str, path: str = "") -> list[str]:
    """What the translated catalogue lacks or says differently, as "path: problem" lines."""
    problems = [f"{path}{key}: extra" for key in translated.keys() - reference.keys()]
    needed = set(Locale(language).plural_form.tags) | {"other"}
    for key, said in reference.items():
        where = f"{path}{key}"
        theirs = translated.get(key)
        if theirs is None:
            problems.append(f"{where}: missing")
        elif is_plural(said):
            if not is_plural(theirs) or set(theirs) != needed:
                problems.append(f"{where}: forms {sorted(theirs)}, not {sorted(needed)}")
            else:
                # A form may leave its number unsaid ("A reply"), never say another placeholder.
                wanted = placeholders(said["other"])
                problems += [
                    f"{where}.{form}: placeholders"
                    for form, text in theirs.items()
                    if not placeholders(text) <= wanted
                ]
        elif isinstance(said, dict):
            problems += (
                compare(said, theirs, language, f"{where}.")
                if isinstance(theirs, dict)
                else [f"{where}: not a group"]
            )
        elif not isinstance(theirs, str) or not theirs.strip():
            problems.append(f"{where}: empty")
        elif placeholders(theirs) != placeholders(said):
            problems.append(
                f"{where}: placeholders {sorted(placeholders(theirs))}, not {sorted(placeholders(said))}"
            )
    return problems


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_has_every_message(surface, language):
    assert compare(catalogue(surface, DEFAULT_LANGUAGE), catalogue(surface, language), language) == []


def test_a_catalogue_that_lacks_a_plural_form_or_a_placeholder_is_caught():
    reference = {
        "points": {"one": "{n} point", "many": "{n} points", "other": "{n} points"},
        "hi": "Hi {name}",
    }
    translated = {"points": {"one": "{n} punkt", "other": "{n} punktu"}, "hi": "Cześć"}
    assert compare(reference, translated, "pl") == [
        "points: forms ['one', 'other'], not ['few', 'many', 'one', 'other']",
        "hi: placeholders [], not ['name']",
    ]


@pytest.mark.parametrize(
    ("tags", "chosen"),
    [(["de-CH", "en"], "de"), (["ja", "pt-BR"], "pt"), (["", "AR"], "ar"), (["ja", "zh"], "fr"), ([], "fr")],
)
def test_the_first_language_the_service_speaks_wins(tags, chosen):
    assert nearest(tags) == chosen


def test_an_accept_language_header_names_the_language():
    assert from_accept_language("ja;q=1, nl-BE;q=0.8, en;q=0.5") == "nl"
    assert from_accept_language(None) == DEFAULT_LANGUAGE
