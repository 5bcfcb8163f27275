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

from commentsvc.errors import Invalid, Reason

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
# What Markdown might read as syntax (see _maybe_markdown): a character other than letters and
# digits of any script, the space, line breaks and the punctuation of prose; a line's first
# character that can start a block. Patterns that begin with a character are searched fastest.
_NOT_PROSE = re.compile(r"[^\w \n,.;:?!'\"()%/@$€£’‘“”«»…–—-]")
_BLOCK_START = re.compile(r"[ 0-9-]")
_LINE_THEN_BLOCK_START = re.compile(r"\n[ 0-9-]")
_BLANK_LINES = re.compile(r"\n{2,}")
# Spans with one reading only. Emphasis: one or two stars, opening at a line's start or after a
# space or "(" and closing before a space, a line's end or punctuation, around words (no star,
# backtick or line break inside); whatever else is inside is checked like the text around it.
# Code: one backtick each side (a longer run is another delimiter), no space at either end, no
# line break (inside, nothing is markup).
# (Each branch starts with its delimiter, which is what lets the search skip ahead.)
_SIMPLE_SPAN = re.compile(
    r"\*(?<![^ (\n]\*)(\*?)(?=[^\W_])([^*`\n]*?[^\W_])\*\1(?![^ \n.,;:?!)])"
    r"|`(?<!``)([^`\s](?:[^`\n]*[^`\s])?)`(?!`)"
)
_EMPHASIS_TAGS = {"": "em", "*": "strong"}  # by the second star


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
            raise Invalid(
                f"{field}: contains a control or invalid character (U+{ord(ch):04X}).",
                field=field,
                reason=Reason.FORBIDDEN_CHARACTERS,
            )
    return value


def check_body(body: str) -> str:
    if not body.strip():
        raise Invalid("body: a comment cannot be empty.", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise Invalid(f"body: a comment is at most {MAX_BODY_CHARS} characters.", field="body")
    return check_text(body, "body")


def render(body: str) -> str:
    """Markdown source (already checked) to sanitised HTML."""
    html = simple_markdown(body)
    if html is None:
        html = _markdown().render(body)
    return sanitise(html)


def sanitise(html: str) -> str:
    """HTML kept to the allowlist comments are kept to (an e-mail's HTML part is too)."""
    return _sanitiser().clean(html).strip()


def simple_markdown(body: str) -> str | None:
    """What the Markdown renderer makes of the text most comments are, without parsing it:
    paragraphs, quoted paragraphs (each line starting "> "), and emphasis, strong emphasis or
    code around words. Parsing was the dearest step of posting a comment. None when anything
    else in the text could be Markdown: the renderer then decides."""
    html = []
    for block in _BLANK_LINES.split(body.strip("\n")):
        if not block:
            continue
        quoted = block.startswith("> ")
        if quoted:
            lines = block.split("\n")
            # "> " alone would be a blank line inside the quote: paragraphs the parser must find.
            if not all(line.startswith("> ") and line[2:] for line in lines):
                return None
            block = "\n".join(line[2:] for line in lines)
        inline = _simple_inline(block)
        if inline is None:
            return None
        html.append(f"<blockquote>\n<p>{inline}</p>\n</blockquote>\n" if quoted else f"<p>{inline}</p>\n")
    return "".join(html)


def _simple_inline(text: str) -> str | None:
    """A paragraph's HTML, if its only markup is spans that the renderer can read one way only."""
    if "*" not in text and "`" not in text:  # most comments: no span to look for
        return None if _maybe_markdown(text) else escapeHtml(text)
    html, rest, start = [], [], 0
    for span in _SIMPLE_SPAN.finditer(text):
        second_star, emphasised, code = span.groups()
        if emphasised is not None and _maybe_markdown(emphasised):
            return None
        before = text[start : span.start()]
        rest.append(before)
        rest.append("x")  # a word stands in for the span: the rest is checked as it will read
        tag = "code" if code is not None else _EMPHASIS_TAGS[second_star]
        html.append(f"{escapeHtml(before)}<{tag}>{escapeHtml(code or emphasised)}</{tag}>")
        start = span.end()
    rest.append(text[start:])
    if _maybe_markdown("".join(rest)):
        return None
    html.append(escapeHtml(text[start:]))
    return "".join(html)


def _maybe_markdown(text: str) -> bool:
    """Whether the parser might read anything in this (non-empty) text as syntax: a character
    prose does not need, or a line's start or end that means something (an indented code
    block, a list item, a thematic break, a hard line break)."""
    return (
        "_" in text
        or _NOT_PROSE.search(text) is not None
        or _BLOCK_START.match(text) is not None
        or _LINE_THEN_BLOCK_START.search(text) is not None
        or text.endswith(" ")
        or " \n" in text
    )


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
