"""A site's settings are checked against their ranges in the domain, before anything is stored."""

from __future__ import annotations

import pytest

from commentsvc.domain.sites import NAME_LENGTH, SETTING_RANGES, check_settings
from commentsvc.errors import Invalid


@pytest.mark.parametrize("setting", sorted(SETTING_RANGES))
def test_each_end_of_a_range_is_allowed_and_one_step_beyond_is_not(setting):
    allowed = SETTING_RANGES[setting]
    step = 0.01 if setting == "distrust_ratio" else 1
    check_settings({setting: allowed.minimum})
    check_settings({setting: allowed.maximum})
    for beyond in (allowed.minimum - step, allowed.maximum + step):
        with pytest.raises(Invalid) as refused:
            check_settings({setting: beyond})
        assert refused.value.field == setting
        assert refused.value.detail.startswith(f"{setting} must be {allowed}, not ")


def test_a_ratio_that_is_not_a_number_is_refused():
    with pytest.raises(Invalid, match=r"^distrust_ratio must be between 0 and 1, not nan\.$"):
        check_settings({"distrust_ratio": float("nan")})


def test_a_name_is_1_to_200_characters():
    check_settings({"name": "x" * NAME_LENGTH.maximum})
    for name in ("", "x" * (NAME_LENGTH.maximum + 1)):
        with pytest.raises(Invalid, match="^name must be between 1 and 200 characters long"):
            check_settings({"name": name})
