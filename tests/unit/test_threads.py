"""Who sees what in a thread, placeholders, and cursors: plain functions, no I/O."""

from __future__ import annotations

import base64
import gc
import itertools
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from commentsvc.domain.threads import (
    MoreReplies,
    Viewer,
    build_threads,
    decode_cursor,
    encode_cursor,
    first_replies,
)
from commentsvc.errors import Invalid
from commentsvc.model.comments import StoredComment

_ids = itertools.count(1)
T0 = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)
ALICE, BOB = 10, 20


def row(
    parent: StoredComment | None = None, status: str = "approved", author: int | None = ALICE
) -> StoredComment:
    comment_id = next(_ids)
    return StoredComment(
        id=comment_id,
        article_id=1,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        status=status,
        author_id=author,
        author_username="alice" if author == ALICE else "bob",
        author_display_name="Alice" if author == ALICE else "Bob",
        body="source" if author is not None else None,
        body_html="<p>x</p>",
        created_at=T0 + timedelta(minutes=comment_id),
        edited_at=None,
        score=0,
        my_vote=0,
        moderation_reason="off topic" if status in ("rejected", "spam") else None,
        appeal=None,
        appeal_reason=None,
        pinned=False,
    )


PUBLIC = Viewer(None, False)


def ids(comments) -> list:
    return [(c.id, ids(c.replies)) if c.replies else c.id for c in comments]


def test_public_viewers_see_approved_comments_only():
    shown, pending, rejected = row(), row(status="pending"), row(status="rejected")
    assert ids(build_threads([shown, pending, rejected], [], PUBLIC, {})) == [shown.id]


def test_authors_see_their_own_held_or_removed_comments_and_moderators_everything():
    pending, spam = row(status="pending"), row(status="spam", author=BOB)
    assert ids(build_threads([pending, spam], [], Viewer(ALICE, False), {})) == [pending.id]
    assert ids(build_threads([pending, spam], [], Viewer(BOB, False), {})) == [spam.id]
    assert ids(build_threads([pending, spam], [], Viewer(30, False), {})) == []
    assert ids(build_threads([pending, spam], [], Viewer(30, True), {})) == [pending.id, spam.id]


def test_the_moderators_reasons_reach_the_author_only():
    removed = row(status="rejected")
    assert build_threads([removed], [], Viewer(ALICE, False), {})[0].moderation_reason == "off topic"
    assert build_threads([removed], [], Viewer(BOB, True), {})[0].moderation_reason == "off topic"
    shown_to_public = build_threads([row(status="rejected"), row()], [], PUBLIC, {})
    assert [c.moderation_reason for c in shown_to_public] == [None]


def test_a_hidden_comment_with_a_visible_reply_is_a_placeholder_without_author_or_text():
    deleted = row(status="deleted")
    reply = row(deleted, author=BOB)
    [placeholder] = build_threads([deleted], [reply], PUBLIC, {})
    assert (placeholder.author, placeholder.body_html, placeholder.status) == (None, "", "deleted")
    assert [r.id for r in placeholder.replies] == [reply.id]


def test_a_hidden_chain_stays_as_placeholders_down_to_the_visible_reply():
    top = row(status="deleted")
    middle = row(top, status="rejected")
    leaf = row(middle)
    [shown] = build_threads([top], [middle, leaf], PUBLIC, {})
    assert (shown.status, shown.replies[0].status) == ("deleted", "removed")
    assert shown.replies[0].replies[0].id == leaf.id


def test_a_hidden_comment_with_only_hidden_replies_disappears():
    top = row(status="deleted")
    assert build_threads([top], [row(top, status="deleted")], PUBLIC, {}) == []


def test_each_thread_keeps_its_first_replies_and_the_last_of_them_where_more_follow():
    long, short = row(), row()
    replies = [row(long)]
    replies += [row(replies[-1]), row(short), row(long), row(long), row(short)]
    kept, cut = first_replies(replies, 3)
    assert kept == replies[:4] + replies[5:] and cut == {long.id: replies[3]}


def test_a_hidden_comment_whose_visible_replies_come_on_a_later_page_stays_as_a_placeholder():
    top = row(status="deleted")
    [placeholder] = build_threads([top], [row(top, status="deleted")], PUBLIC, {top.id: MoreReplies(2, "c")})
    assert (placeholder.status, placeholder.replies, placeholder.more_replies) == ("deleted", [], 2)
    assert placeholder.replies_cursor == "c"


def test_a_page_built_leaves_nothing_for_the_garbage_collector():
    """Everything a page holds is freed as soon as it is served: a reference cycle would keep
    its rows until the collector runs (a quarter of the CPU of uncached reads, once)."""
    top = [row() for _ in range(3)]
    replies = [row(parent=top[0]), row(parent=top[1], status="pending")]
    replies.append(row(parent=replies[0], author=BOB))
    gc.collect()
    gc.disable()
    try:
        assert len(build_threads(top, replies, Viewer(BOB, False), {})) == 3
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_source_is_given_to_its_author_and_moderators_only():
    comment = row()
    assert build_threads([comment], [], Viewer(ALICE, False), {})[0].body == "source"
    assert build_threads([comment], [], Viewer(BOB, True), {})[0].body == "source"
    assert build_threads([comment], [], Viewer(BOB, False), {})[0].body is None


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
@pytest.mark.parametrize("pinned", [False, True])
def test_a_cursor_round_trips(sort, pinned):
    comment = msgspec.structs.replace(row(), pinned=pinned)
    assert decode_cursor(sort, encode_cursor(sort, comment)) == (
        comment.created_at,
        comment.id,
        comment.score,
        pinned,
    )


def test_a_cursor_given_out_before_pins_is_after_an_unpinned_comment():
    comment = row()
    raw = msgspec.json.encode(["newest", comment.created_at.isoformat(), comment.id, comment.score])
    cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert decode_cursor("newest", cursor) == (comment.created_at, comment.id, comment.score, False)


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGpzb24", "WyJvbGRlc3QiXQ"])
def test_anything_else_is_not_a_cursor(cursor):
    with pytest.raises(Invalid):
        decode_cursor("oldest", cursor)
