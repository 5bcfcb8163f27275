"""What readers are called: display names, and the look-alike key that keeps one reader from
passing for another (the confusable skeleton of Unicode TS #39, made case-insensitive)."""

from __future__ import annotations

import unicodedata
from functools import cache

from commentsvc.errors import Invalid, Reason

# What the widget and the dashboard write before a username: a name holding one (or a look-alike,
# ＠ or ﹫) could show a second, false @username beside the real one.
HANDLE_MARK = "@"


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype, from TS #39's confusables.txt as the library ships
    it: every `source → prototype` line is stored both ways, and a source has one neighbour only.
    (For the few pairs where each side has one neighbour, either side serves as the prototype: the
    smaller is taken.) Loaded at first use, not at import."""
    from confusable_homoglyphs.confusables import confusables_data

    def bare(text: str) -> str:  # right-to-left characters come wrapped in U+200E marks
        return text.replace("\u200e", "")

    neighbours: dict[str, set[str]] = {}
    for char, homoglyphs in confusables_data.items():
        neighbours.setdefault(bare(char), set()).update(bare(h["c"]) for h in homoglyphs)
    prototypes = {}
    for char, around in neighbours.items():
        if len(char) == 1 and len(around) == 1:
            (other,) = around
            if len(other) > 1 or len(neighbours.get(other, ())) > 1 or other < char:
                prototypes[char] = other
    return prototypes


def _skeleton(text: str) -> str:
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def look_alike_key(name: str) -> str:
    """Equal for names a reader cannot tell apart: "аdmin" (Cyrillic а), "ADMIN", "adrnin" and
    "admin" share one. The skeleton, case folded, then the skeleton again; and as a capital I is
    both the capital of i and the look-alike of l, i and l fall together."""
    folded = _skeleton(_skeleton(unicodedata.normalize("NFKC", name)).casefold())
    return folded.replace("i", "l")


def clean_display_name(raw: str | None, username: str) -> str:
    """Display names are free text, minus characters that can disguise or hide text, and minus
    "@": the @username shown beside every name is what tells readers apart."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        return username
    check_visible(name, "display_name")
    if HANDLE_MARK in look_alike_key(name):
        raise Invalid(
            'display_name: "@" is not allowed; the @username shown beside your name already says who you are.',
            field="display_name",
            reason=Reason.AT_SIGN,
        )
    return name


def check_visible(value: str, field: str) -> str:
    """Names and addresses that identify someone: no characters that can disguise or hide text."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise Invalid(
            f"{field}: control, formatting and invisible characters are not allowed.",
            field=field,
            reason=Reason.FORBIDDEN_CHARACTERS,
        )
    return value
