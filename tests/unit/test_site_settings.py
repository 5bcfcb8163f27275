"""A site's settings are checked in the domain against the structure that holds each of them
(model.sites.SiteSettings), before anything is stored; the command line's flags and the
README's table are made from, and held to, the same structure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commentsvc.cli import SETTING_FLAGS
from commentsvc.domain.sites import check_change
from commentsvc.errors import Invalid
from commentsvc.model.sites import NAME_LENGTH, SETTINGS, Range

README = Path(__file__).parents[2] / "README.md"
RANGED = {name: setting.range for name, setting in SETTINGS.items() if setting.range}


def test_every_number_has_a_range():
    assert sorted(RANGED) == sorted(name for name, s in SETTINGS.items() if s.kind in (int, float))
    assert RANGED["distrust_ratio"] == Range(0, 1)
    assert RANGED["max_depth"] == Range(0, 50)


@pytest.mark.parametrize("setting", sorted(RANGED))
def test_each_end_of_a_range_is_allowed_and_one_step_beyond_is_not(setting):
    allowed = RANGED[setting]
    step = 0.01 if SETTINGS[setting].kind is float else 1
    check_change({setting: allowed.minimum})
    check_change({setting: allowed.maximum})
    for beyond in (allowed.minimum - step, allowed.maximum + step):
        with pytest.raises(Invalid) as refused:
            check_change({setting: beyond})
        assert refused.value.field == setting
        assert refused.value.detail.startswith(f"{setting} must be {allowed}, not ")


def test_a_ratio_that_is_not_a_number_is_refused():
    with pytest.raises(Invalid, match=r"^distrust_ratio must be between 0 and 1, not nan\.$"):
        check_change({"distrust_ratio": float("nan")})


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"moderation": "maybe"}, "moderation must be pre or post, not 'maybe'."),
        ({"hold_first_comment": 1}, "hold_first_comment must be true or false, not 1."),
        ({"max_links": True}, "max_links must be between 0 and 1000, not True."),
        ({"trust_after": 2.5}, "trust_after must be between 0 and 10000, not 2.5."),
        ({"burst_minutes": "10"}, "burst_minutes must be between 1 and 1440, not '10'."),
        ({"blocked_words": "spam"}, "blocked_words must be a list of words, not 'spam'."),
    ],
)
def test_a_value_of_another_kind_is_refused_naming_what_the_setting_may_be(change, sentence):
    with pytest.raises(Invalid) as refused:
        check_change(change)
    assert (refused.value.field, refused.value.detail) == (*change, sentence)


def test_what_is_not_a_setting_is_refused():
    with pytest.raises(Invalid, match=r"^colour is not a site setting\.$"):
        check_change({"colour": "blue"})


def test_a_good_change_comes_back_checked_and_blocked_words_normalised():
    change = {"moderation": "pre", "distrust_ratio": 1, "blocked_words": [" Spam", "spam", "", "Promo"]}
    assert check_change(change) == {
        "moderation": "pre",
        "distrust_ratio": 1.0,
        "blocked_words": ["promo", "spam"],
    }


def test_a_name_is_1_to_200_characters():
    check_change({"name": "x" * NAME_LENGTH.maximum})
    for name in ("", "x" * (NAME_LENGTH.maximum + 1)):
        with pytest.raises(Invalid, match="^name must be between 1 and 200 characters long"):
            check_change({"name": name})


def test_every_setting_says_what_it_does_and_what_it_may_be():
    for setting in SETTINGS.values():
        assert setting.description and setting.allowed, setting.name


def test_every_setting_has_a_flag_and_a_flag_only_sets_settings():
    assert sorted(name for flag in SETTING_FLAGS for name in flag.names) == sorted(SETTINGS)


# --- the README's table ---------------------------------------------------------------------------


def readme_settings() -> dict[str, list[str]]:
    """The README's site-settings table: each row's other cells by its first (flag and value)."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `--"):
            first, *cells = (cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1])
            rows[first.strip("`")] = cells
    return rows


@pytest.mark.parametrize("flag", SETTING_FLAGS, ids=lambda flag: flag.flag)
def test_the_readme_lists_each_setting_with_its_default_allowed_values_and_meaning(flag):
    assert readme_settings().get(f"{flag.flag} {flag.metavar}") == [flag.default, flag.allowed, flag.meaning]


def test_the_readme_lists_no_setting_the_command_does_not_take():
    taken = {f"{flag.flag} {flag.metavar}" for flag in SETTING_FLAGS} | {"--name NAME"}
    assert set(readme_settings()) == taken
