"""The widget's static assets as served: comments and indentation stripped (a first view's bytes
count), named by content hash, gzipped once; and its catalogues, one script per language."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from functools import cache
from importlib import resources

from litestar import Request, Response

from commentsvc.api.compression import accepts_gzip
from commentsvc.i18n import LANGUAGES, catalogue

# Litestar adds "; charset=utf-8" to text types itself.
MEDIA_TYPES = {"js": "text/javascript", "css": "text/css"}
WORD = re.compile(r"[\w$]+")
# After these a "/" opens a regular expression; after anything else (and "++", "--") it divides.
BEFORE_A_PATTERN = frozenset("(,=:[!&|?{};+-*%<>~^")
STEPS = ("++", "--")
KEYWORDS_BEFORE_A_PATTERN = frozenset({"return", "typeof", "case", "do", "else", "in", "of", "void", "throw"})
# After these a line break can never end a statement, so it can go.
OPEN = frozenset("{;,([")


class Asset:
    def __init__(self, stem: str, extension: str, source: str) -> None:
        self.raw = (minify_js(source) if extension == "js" else minify_css(source)).encode()
        self.gzipped = gzip.compress(self.raw, 9, mtime=0)
        self.media_type = MEDIA_TYPES[extension]
        self.hashed_name = f"{stem}.{hashlib.sha256(self.raw).hexdigest()[:12]}.{extension}"

    def response(self, request: Request, cache_control: str) -> Response[bytes]:
        headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.raw, media_type=self.media_type, headers=headers)


def _source(name: str) -> str:
    return resources.files("commentsvc").joinpath("widget", name).read_text(encoding="utf-8")


@cache
def asset(name: str) -> Asset:
    stem, extension = name.rsplit(".", 1)
    return Asset(stem, extension, _source(name))


# Each page's words, a part of the widget's catalogue: the thread's ("widget"), named by the
# widget's document; its forms' ("forms"), fetched with forms.js when a reader first needs a form,
# which joins the thread's part already on the page (so comes without words.js); and two pages of
# their own, each reading only its groups: a refused embed's line, and the sign-in popup's last
# page (with the refusals' sentences).
PAGES = {
    "widget": ("widget", None),
    "forms": ("widget_forms", None),
    "refused": ("widget", ("refused",)),
    "popup": ("widget_forms", ("popup", "errors")),
}
OWN_GROUPS = frozenset({"refused", "popup"})


@cache
def words(language: str, page: str = "widget") -> Asset:
    """What a page of the widget's says, in one language: words.js, then the page's part of that
    language's catalogue (for the forms, that part alone, added to the thread's)."""
    part, groups = PAGES[page]
    entries = {
        group: said
        for group, said in catalogue(part, language).items()
        if (group in groups if groups else group not in OWN_GROUPS)
    }
    text = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    stem = "words" if page == "widget" else f"words-{page}"
    if page == "forms":
        return Asset(f"{stem}-{language}", "js", f'addWords("{language}", {text});\n')
    return Asset(f"{stem}-{language}", "js", f"{_source('words.js')}\nMESSAGES.{language} = {text};\n")


@cache
def hashed_assets() -> dict[str, Asset]:
    served = [asset("widget.js"), asset("forms.js"), asset("refused.js"), asset("widget.css")]
    served += [words(language, page) for language in LANGUAGES for page in PAGES]
    return {a.hashed_name: a for a in served}


def minify_css(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"\s+", " ", source)
    return re.sub(r" ?([{};,>]) ?", r"\1", source).strip()


def minify_js(source: str) -> str:
    """The script less its comments and the blanks no token needs: strings, template literals and
    regular expressions are copied as they are, and a line break stays wherever it might end a
    statement (so automatic semicolons fall where they did)."""
    out: list[str] = []
    gap, last, i = "", "", 0

    def emit(token: str) -> None:
        nonlocal gap, last
        if gap and last:
            if gap == "\n" and last[-1] not in OPEN:
                out.append("\n")
            elif (
                WORD.fullmatch(last[-1])
                and WORD.fullmatch(token[0])
                or last[-1] in "+-"
                and token[0] == last[-1]
            ):
                out.append(" ")
        out.append(token)
        gap, last = "", token

    while i < len(source):
        c = source[i]
        if c in " \t\r\n":
            gap = "\n" if c == "\n" or gap == "\n" else " "
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = end if end >= 0 else len(source)
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
            gap = gap or " "
        elif c in "'\"`":
            end = _closing(source, i, c)
            emit(source[i:end])
            i = end
        elif c == "/" and (
            not last
            or last[-1] in BEFORE_A_PATTERN
            and last not in STEPS
            or last in KEYWORDS_BEFORE_A_PATTERN
        ):
            end = _pattern_end(source, i)
            emit(source[i:end])
            i = end
        elif source.startswith(STEPS, i):
            emit(source[i : i + 2])
            i += 2
        elif word := WORD.match(source, i):
            emit(word.group())
            i = word.end()
        else:
            emit(c)
            i += 1
    return "".join(out) + "\n"


def _closing(source: str, start: int, quote: str) -> int:
    i = start + 1
    while source[i] != quote:
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _pattern_end(source: str, start: int) -> int:
    i, in_class = start + 1, False
    while in_class or source[i] != "/":
        if source[i] == "\\":
            i += 1
        elif source[i] in "[]":
            in_class = source[i] == "["
        i += 1
    i += 1
    while i < len(source) and source[i].isalpha():
        i += 1
    return i
