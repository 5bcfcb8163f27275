"""The rule a removal is counted under (`commentsvc site stats`), from what opened its item:
plain function, shared by single and bulk decisions."""

from __future__ import annotations

import pytest

from commentsvc.domain.decisions import removal_rule


@pytest.mark.parametrize(
    ("kind", "held", "reported", "expected"),
    [
        ("held", "blocked_word", False, "blocked_word"),
        ("held", "too_many_links", True, "links"),  # the contract's name, held before reported
        ("held", None, True, "reports"),
        ("reported", "blocked_word", True, "reports"),  # published since it was held: reports brought it
        ("held", None, False, None),
    ],
)
def test_a_removal_counts_under_the_rule_that_brought_its_comment(kind, held, reported, expected):
    assert removal_rule(kind, held, reported) == expected
