import sys
import unicodedata

import pytest

from commentsvc.domain.policy import blocked_words_found, count_links, visible_text
from commentsvc.domain.rendering import render


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no link at all, just www and http", 0),
        ("see https://a.example and http://b.example", 2),
        ("HTTPS://A.EXAMPLE, Www.B.Example and mailto:c@d.example", 3),
        ("[a link](https://a.example) in Markdown", 1),
        ("http://www.a.example is one link, not two", 1),
        ("www.a.example www.b.example wwww.c.example", 3),
        ("httpſ://a.example: the long s folds to s", 1),
        ("<https://a.example> is one link, its address shown", 1),
        ("[https://a.example](https://b.example) is one link too", 1),
        ("[a relative link](a.example) is no link: its address is refused", 0),
        ("`https://a.example` in code is still an address", 1),
    ],
)
def test_links_are_counted_once_each_whatever_their_case(text, links):
    assert count_links(render(text)) == links


@pytest.mark.parametrize(
    "text",
    [
        "https&#58;//a.example",  # the review's: a character reference for ":"
        "https&colon;//a.example",
        "[a link](https&#58;//a.example)",  # Markdown reads the reference in the destination
        "https\u200b://a.example",  # a zero-width space
        "ht\u00adtps://a.example",  # a soft hyphen
        "ｈｔｔｐｓ：／／a.example",  # full-width letters and punctuation
        "ｗｗｗ．a.example",
        "mail\u2060to:a@b.example",  # a word joiner
        "www\U000e0020.a.example",  # a tag character
    ],
)
def test_an_address_disguised_in_its_source_is_still_a_link(text):
    assert count_links(render(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "c&#97;sino",  # the review's three
        "ca\u200bsino",
        "&#x63;asino",
        "ｃａｓｉｎｏ",
        "ca\u00adsino",
        "ca\u2060si\ufe0fno",
        "cas\u034fino",
        "ca*sino*",  # emphasis in the middle of a word shows one word
        "CASINÒ en ligne",
        "[nice place](https://casino.example)",
        "[nice place](https://c%61sino.example)",
        '[nice place](https://a.example "best casino")',
    ],
)
def test_a_blocked_word_disguised_in_its_source_is_still_found(text):
    assert blocked_words_found(render(text), ["casino"]) == ["casino"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Le casinotier", False),
        ("Ils parlent de cas inouïs", False),
        ("occasion, no casino", True),
        ("[casi](https://a.example)no: a reader sees one word", True),
    ],
)
def test_blocked_words_match_whole_words_of_what_readers_see(text, found):
    assert bool(blocked_words_found(render(text), ["casino"])) is found


def test_the_visible_text_is_the_text_without_markup_with_references_read():
    html = render('*a* < b & [c](https://d.example "t>u")\n\n> e\u00a0f')
    assert visible_text(html) == "a < b & c\n\ne\u00a0f\n"


def test_every_format_character_is_invisible_to_the_signals():
    """Each one placed inside a word leaves the word whole (as many as this Python knows of)."""
    hidden = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(hidden) > 150
    assert all(blocked_words_found(f"<p>ca{ch}sino</p>", ["casino"]) for ch in hidden)


def test_every_blocked_word_found_is_named_in_the_sites_spelling():
    found = blocked_words_found(
        render("Une ARNAQUÉ au Casino, pas une escroquerie"), ["casino", "arnaque", "vol"]
    )
    assert found == ["casino", "arnaque"]
