"""A Disqus XML export: its threads (the pages) and posts (the comments), in the file's order.
Posts name their thread and parent by ``dsq:id``; either may come later in the file, or never."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree

from commentsvc.errors import Invalid
from commentsvc.imports.reach import Reached
from commentsvc.imports.xml import children, ends, release, root, text
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, Record, Status

EXPORT = "a Disqus export"
NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
ROOT, THREAD, POST, PARENT = f"{NS}disqus", f"{NS}thread", f"{NS}post", f"{NS}parent"
ID, LINK, TITLE, CREATED, MESSAGE = f"{NS}id", f"{NS}link", f"{NS}title", f"{NS}createdAt", f"{NS}message"
AUTHOR, NAME, EMAIL, USERNAME = f"{NS}author", f"{NS}name", f"{NS}email", f"{NS}username"
ANONYMOUS, DELETED, SPAM = f"{NS}isAnonymous", f"{NS}isDeleted", f"{NS}isSpam"


def read(path: Path, reached: Reached | None = None) -> Iterator[Record]:
    top = root(path, EXPORT, ROOT)
    for element in ends(path, EXPORT, (THREAD, POST), reached):
        # <thread> is also a post's reference to its thread: only the root's children are records.
        if element.getparent().tag != top.tag:
            continue
        if element.tag == THREAD:
            yield _thread(path, element)
        else:
            yield _post(path, element)
        release(element)


def _thread(path: Path, element: etree._Element) -> ImportedThread:
    fields = children(element)
    created = text(fields.get(CREATED))
    return ImportedThread(
        source_id=_id(path, element),
        url=text(fields.get(LINK)),
        identifier=text(fields.get(ID)),
        title=text(fields.get(TITLE)),
        created_at=_time(path, element, created) if created else None,
    )


def _post(path: Path, element: etree._Element) -> ImportedComment:
    fields = children(element)
    thread, parent = fields.get(THREAD), fields.get(PARENT)
    thread_id = thread.get(DSQ_ID) if thread is not None else None
    if not thread_id:
        raise Invalid(
            f"{path.name}, line {element.sourceline}: a post names no thread; nothing was imported."
        )
    return ImportedComment(
        source_id=_id(path, element),
        thread_id=thread_id,
        parent_id=(parent.get(DSQ_ID) or None) if parent is not None else None,
        author=_author(fields.get(AUTHOR)),
        body=text(fields.get(MESSAGE)) or "",
        created_at=_time(path, element, text(fields.get(CREATED))),
        # A spam mark says more than a deletion (Disqus deletes what it marks as spam, too).
        status=_status(_flag(fields, SPAM), _flag(fields, DELETED)),
    )


def _status(spam: bool, deleted: bool) -> Status:
    return "spam" if spam else "deleted" if deleted else "approved"


def _flag(fields: dict[str, etree._Element], tag: str) -> bool:
    return text(fields.get(tag)) == "true"


def _author(element: etree._Element | None) -> ImportedAuthor | None:
    """A Disqus account is told apart by its username; an anonymous author (a guest of Disqus) by
    the name and address they gave."""
    if element is None:
        return None
    fields = children(element)
    name, email, username = text(fields.get(NAME)), text(fields.get(EMAIL)), text(fields.get(USERNAME))
    if username and not _flag(fields, ANONYMOUS):
        key = f"username:{username}"
    elif name or email:
        key = f"guest:{name or ''} <{(email or '').lower()}>"
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
