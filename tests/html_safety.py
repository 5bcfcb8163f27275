"""What "safe HTML" means for a comment, checked by parsing rather than by
looking for substrings: every element and attribute on the renderer's allowlist,
every link absolute and to a harmless scheme, nothing the parser treats specially."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from commentsvc.domain.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, URL_SCHEMES

# What a browser ignores in a URL before reading its scheme.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


class _Findings(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"element <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"attribute {name!r} on <{tag}>")
            elif name == "href" and _scheme(value or "") not in URL_SCHEMES:
                self.problems.append(f"link to {value!r}")
            elif name == "rel" and value != LINK_REL:
                self.problems.append(f"rel={value!r}")
        if tag == "a" and "rel" not in dict(attrs):
            self.problems.append("link without rel")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def _scheme(url: str) -> str:
    cleaned = _IGNORED_IN_SCHEME.sub("", url).lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned else ""


def unsafe_parts(html: str) -> list[str]:
    """Everything in this comment HTML that is not on the allowlist; empty when safe."""
    parser = _Findings()
    parser.feed(html)
    parser.close()
    return parser.problems
