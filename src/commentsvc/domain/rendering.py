"""Comment text: what is accepted, and the one path from Markdown source to safe HTML.

Markdown is rendered with raw HTML off, then nh3 keeps only an explicit
allowlist, so even a renderer bug cannot let markup through."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from commentsvc.errors import Invalid

MAX_BODY_CHARS = 10_000
LINK_REL = "nofollow ugc noopener noreferrer"
ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "s", "code", "pre", "blockquote", "ul", "ol", "li", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Text kept as-is in Markdown but never allowed to hide or disguise content.
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
# The only forbidden characters an ASCII text can hold (category Cc), found without a loop in Python.
_ASCII_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Whatever Markdown might read as syntax: a character other than letters and digits of any
# script, the space, line breaks and the punctuation of prose; or a line's start or end that
# means something (an indented code block, a list item, a thematic break, a hard line break).
_MAYBE_MARKDOWN = re.compile(r"[^\w \n,.;:?!'\"()%/@$€£’‘“”«»…–—-]|_|^[ 0-9-]| $", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{2,}")


@cache
def _markdown() -> MarkdownIt:
    # No raw HTML, no images (tracking pixels), no headings (shouting): what
    # they would have been stays as the plain text the reader typed.
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("strikethrough")
        .disable(["image", "heading", "lheading", "html_block", "html_inline"])
    )


def check_text(value: str, field: str) -> str:
    """Refuse what a database or a reader should never see: NUL and other
    control characters, lone surrogates, unassigned code points."""
    # An ASCII text is searched at C speed; only the others need each character's category.
    suspects = value
    if value.isascii():
        found = _ASCII_FORBIDDEN.search(value)
        suspects = found.group() if found else ""
    for ch in suspects:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            raise Invalid(f"{field}: contains a control or invalid character (U+{ord(ch):04X}).", field=field)
    return value


def check_body(body: str) -> str:
    if not body.strip():
        raise Invalid("body: a comment cannot be empty.", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise Invalid(f"body: a comment is at most {MAX_BODY_CHARS} characters.", field="body")
    return check_text(body, "body")


def render(body: str) -> str:
    """Markdown source (already checked) to sanitised HTML."""
    html = plain_paragraphs(body)
    if html is None:
        html = _markdown().render(body)
    return _sanitiser().clean(html).strip()


def plain_paragraphs(body: str) -> str | None:
    """What the Markdown renderer makes of a text with no Markdown in it, without parsing it:
    most comments are such plain paragraphs, and parsing was the dearest step of posting one.
    None when anything in the text could be Markdown: the renderer then decides."""
    if _MAYBE_MARKDOWN.search(body):
        return None
    paragraphs = _BLANK_LINES.split(body.strip("\n"))
    return "".join(f"<p>{escapeHtml(paragraph)}</p>\n" for paragraph in paragraphs if paragraph)


@cache
def _sanitiser() -> nh3.Cleaner:
    # Built once: the allowlist is the same for every comment.
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags={
            "script",
            "style",
            "svg",
            "math",
            "iframe",
            "object",
            "embed",
            "template",
            "noscript",
        },
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        # A relative link would point into the service's own pages.
        url_relative="deny",
        strip_comments=True,
    )
