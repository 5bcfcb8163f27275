"""The look-alike key: names a reader cannot tell apart share it, names they can do not."""

from __future__ import annotations

import pytest

from commentsvc.domain.names import look_alike_key


@pytest.mark.parametrize(
    ("name", "passes_for"),
    [
        ("\u0430dmin", "admin"),  # Cyrillic а
        ("ADMIN", "admin"),
        ("\u0391D\u039c\u0399N", "admin"),  # Greek capitals
        ("adrnin", "admin"),
        ("bilI", "bill"),
        ("b1ll", "bill"),
        ("b0b", "bob"),
        ("\uff41\uff44\uff4d\uff49\uff4e", "admin"),  # fullwidth
        ("\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427", "admin"),  # mathematical bold
    ],
)
def test_look_alikes_share_a_key(name, passes_for):
    assert look_alike_key(name) == look_alike_key(passes_for)


@pytest.mark.parametrize(
    ("name", "other"), [("admin", "admln2"), ("Zoé", "Zoe"), ("marie", "mario"), ("ab", "a b")]
)
def test_names_that_look_different_do_not(name, other):
    assert look_alike_key(name) != look_alike_key(other)


def test_at_sign_look_alikes_become_at_signs():
    assert [look_alike_key(mark) for mark in ("@", "\uff20", "\ufe6b")] == ["@"] * 3
