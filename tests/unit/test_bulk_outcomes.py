"""What a bulk decision does to each comment, by its status and its open item: plain function."""

from __future__ import annotations

import pytest

from commentsvc.domain.bulk import outcome
from commentsvc.model.moderation import Decidable, OpenItem


def comment(status: str, revision: int = 1) -> Decidable:
    return Decidable(
        id=7,
        site_id=1,
        article_id=2,
        article_key="a",
        parent_id=None,
        author_id=3,
        status=status,
        revision=revision,
    )


OPEN = OpenItem(
    id=11, comment_id=7, opened_revision=1, kind="held", held_because="first_comment", reported=False
)


@pytest.mark.parametrize(
    ("status", "item", "action", "expected"),
    [
        ("pending", OPEN, "approve", "applied"),
        ("approved", OPEN, "reject", "applied"),  # reported: its item is decided
        (
            "deleted",
            OPEN,
            "spam",
            "applied",
        ),  # deleted by its author, item still open: decided as from the queue
        ("approved", None, "reject", "applied"),  # published at once, found on its author's page
        ("approved", None, "approve", "already_decided"),
        ("rejected", None, "reject", "already_decided"),
        ("rejected", None, "approve", "already_decided"),  # a removal is not reversed by a sweep
        ("spam", None, "reject", "already_decided"),
        ("deleted", None, "reject", "deleted"),
    ],
)
def test_each_status_and_item_has_its_outcome(status, item, action, expected):
    assert outcome(comment(status), item, action) == expected


def test_a_comment_edited_since_its_item_opened_is_left_to_the_queue():
    assert outcome(comment("pending", revision=2), OPEN, "approve") == "edited"


def test_a_comment_the_site_does_not_have_is_not_found():
    assert outcome(None, None, "approve") == "not_found"
