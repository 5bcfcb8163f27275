"""Reading an XML export (Disqus, WordPress) safely and a piece at a time: no document type, no
entity expanded or fetched, nothing from the network, no text node over libxml2's 10 MB, and each
element dropped once its format has read it, so that memory stays flat on a file of millions of
comments. A file that breaks one of these rules is refused in one sentence, while it is read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from commentsvc.errors import Invalid
from commentsvc.imports.reach import Reached, reporting

# The root element of each XML export we read: to say what a file given as another one looks like.
ROOTS = {"{http://disqus.com}disqus": "a Disqus export", "rss": "a WordPress export (WXR)"}
# libxml2 reads no DTD and expands no entity, and keeps its limits (a text node under 10 MB, 256
# levels of elements) that huge_tree would lift.
SAFE = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def root(path: Path, export: str, tag: str) -> etree._Element:
    """The file's root element, once the file is checked to have no document type and that root
    (``export`` names the format in sentences: "a Disqus export"). Only its first bytes are read:
    the prolog, where a DTD would be, is whole by the root's start."""
    with _reading(path, export):
        # A file without a root element is a syntax error, not the end of the iteration.
        _, element = next(etree.iterparse(str(path), events=("start",), **SAFE))
        _check(path, export, tag, element.getroottree())
        return element


def ends(path: Path, export: str, tags: tuple[str, ...], reached: Reached | None) -> Iterator[etree._Element]:
    """Every element of ``tags`` in the file as it ends (check its ``root`` first). libxml2
    builds the others too, but only these cost a turn of Python. ``reached`` is told how much
    of the file has been read."""
    with _reading(path, export), path.open("rb") as file:
        size = max(path.stat().st_size, 1)
        elements = (element for _, element in etree.iterparse(file, events=("end",), tag=tags, **SAFE))
        yield from reporting(elements, reached, lambda _: file.tell() / size)


@contextlib.contextmanager
def _reading(path: Path, export: str) -> Iterator[None]:
    etree.clear_error_log()  # libxml2's log is the thread's: only this file's errors in it
    try:
        yield
    except etree.XMLSyntaxError as exc:
        raise Invalid(f"{path.name} {_fault(exc, export)}; nothing was imported.") from None
    except OSError as exc:
        raise Invalid(f"{path.name} cannot be read ({exc.strerror or exc}); nothing was imported.") from None


def _check(path: Path, export: str, root: str, tree: etree._ElementTree) -> None:
    """Refuse a file with a document type (where entities are declared: the expansions of the
    billion laughs, the external entities that read local files), or the root of another format."""
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        declares = "entities" if _entities(docinfo.internalDTD) else "a document type"
        raise Invalid(
            f"{path.name} is refused: it declares {declares} (a <!DOCTYPE>), which no export has"
            " and which can make a file read others or grow without end; nothing was imported."
        )
    tag = tree.getroot().tag
    if tag != root:
        looks = (
            f"it looks like {ROOTS[tag]}"
            if tag in ROOTS
            else f"its root element is <{etree.QName(tag).localname}>"
        )
        raise Invalid(f"{path.name} is not {export}: {looks}; nothing was imported.")


def _entities(dtd: etree.DTD | None) -> bool:
    return dtd is not None and any(True for _ in dtd.iterentities())


def _fault(exc: etree.XMLSyntaxError, export: str) -> str:
    """What is wrong with the file, at the first error libxml2 met (the later ones follow from it)."""
    errors = [e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR] or list(exc.error_log)
    first = errors[0] if errors else None
    message = first.message.strip().rstrip(".") if first else exc.msg
    line = f"line {first.line}: " if first and first.line else ""
    if "XML_PARSE_HUGE" in message or "too big" in message:  # libxml2's words for a text node, a CDATA
        return f"is refused: {line}a text longer than 10 MB, which no comment is"
    return f"is not {export}: it is not well-formed XML ({line}{message})"


def text(element: etree._Element | None) -> str | None:
    """The stripped text of an element (its children's too, should a body hold unescaped HTML),
    or None when it is missing or empty."""
    if element is None:
        return None
    value = "".join(element.itertext()) if len(element) else element.text
    return value.strip() or None if value else None


def children(element: etree._Element) -> dict[str, etree._Element]:
    """An element's children by tag (the first of each), read in one pass."""
    found: dict[str, etree._Element] = {}
    for child in element:
        found.setdefault(child.tag, child)
    return found


def release(element: etree._Element, tag: str | None = None) -> None:
    """Forget an element its format has read, and the elements before it at its level (only
    those of ``tag``, when given: its parent is still being read). The tree being built stays a
    spine of open elements."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    previous = element.getprevious()
    while previous is not None and (tag is None or previous.tag == tag):
        parent.remove(previous)
        previous = element.getprevious()
