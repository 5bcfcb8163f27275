"""A Disqus XML export: its threads (the pages) and posts (the comments), in the file's order.
Posts name their thread and parent by ``dsq:id``; either may come later in the file, or never."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree

from commentsvc.errors import Invalid
from commentsvc.imports.xml import ends, release, text
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, Record, Status

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
ROOT, THREAD, POST = f"{NS}disqus", f"{NS}thread", f"{NS}post"


def read(path: Path) -> Iterator[Record]:
    for element in ends(path, "a Disqus export", ROOT):
        # <thread> is also a post's reference to its thread: only the root's children are records.
        if element.tag not in (THREAD, POST) or element.getparent().getparent() is not None:
            continue
        if element.tag == THREAD:
            yield _thread(path, element)
        else:
            yield _post(path, element)
        release(element)


def _thread(path: Path, element: etree._Element) -> ImportedThread:
    created = text(element.find(f"{NS}createdAt"))
    return ImportedThread(
        source_id=_id(path, element),
        url=text(element.find(f"{NS}link")),
        identifier=text(element.find(f"{NS}id")),
        title=text(element.find(f"{NS}title")),
        created_at=_time(path, element, created) if created else None,
    )


def _post(path: Path, element: etree._Element) -> ImportedComment:
    thread = element.find(THREAD)
    parent = element.find(f"{NS}parent")
    thread_id = thread.get(DSQ_ID) if thread is not None else None
    if not thread_id:
        raise Invalid(
            f"{path.name}, line {element.sourceline}: a post names no thread; nothing was imported."
        )
    return ImportedComment(
        source_id=_id(path, element),
        thread_id=thread_id,
        parent_id=(parent.get(DSQ_ID) or None) if parent is not None else None,
        author=_author(element.find(f"{NS}author")),
        body=text(element.find(f"{NS}message")) or "",
        created_at=_time(path, element, text(element.find(f"{NS}createdAt"))),
        status=_status(element),
    )


def _status(element: etree._Element) -> Status:
    """A spam mark says more than a deletion (Disqus deletes what it marks as spam, too)."""
    if _flag(element, "isSpam"):
        return "spam"
    return "deleted" if _flag(element, "isDeleted") else "approved"


def _flag(element: etree._Element, name: str) -> bool:
    return text(element.find(f"{NS}{name}")) == "true"


def _author(element: etree._Element | None) -> ImportedAuthor | None:
    """A Disqus account is told apart by its username; an anonymous author (a guest of Disqus) by
    the name and address they gave."""
    if element is None:
        return None
    name, email = text(element.find(f"{NS}name")), text(element.find(f"{NS}email"))
    username = text(element.find(f"{NS}username"))
    if username and not _flag(element, "isAnonymous"):
        key = f"username:{username}"
    elif name or email:
        key = f"guest:{name or ''} <{email or ''}>"
    else:
        return None
    return ImportedAuthor(key=key, name=name or username or "", email=email, url=None)


def _id(path: Path, element: etree._Element) -> str:
    source_id = element.get(DSQ_ID)
    if not source_id:
        what = etree.QName(element).localname
        raise Invalid(
            f"{path.name}, line {element.sourceline}: a {what} has no dsq:id; nothing was imported."
        )
    return source_id


def _time(path: Path, element: etree._Element, value: str | None) -> datetime:
    try:
        return datetime.fromisoformat(value or "")
    except ValueError:
        raise Invalid(
            f"{path.name}, line {element.sourceline}: {value!r} is not a time (createdAt, as"
            " 2013-10-10T19:20:29Z); nothing was imported."
        ) from None
