"""A WordPress export (WXR): each post or page (an <item>) is a thread, its <wp:comment>s its
comments. WordPress numbers comments across the blog, but a reply's parent is always on the same
post, so a comment is kept under its post's id and its own: files that number comments per post
(hand-made or merged ones) lose nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from commentsvc.errors import Invalid
from commentsvc.imports.reach import Reached
from commentsvc.imports.xml import ends, release, root, text
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, Record, Skipped, Status

EXPORT = "a WordPress export (WXR)"
ROOT, CHANNEL, ITEM = "rss", "channel", "item"
# WXR 1.0, 1.1 and 1.2 differ in their namespace only, for what is read here.
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/[0-9.]+/$")
STATUSES: dict[str, Status] = {
    "1": "approved",
    "approve": "approved",
    "0": "pending",
    "hold": "pending",
    "spam": "spam",
    "trash": "deleted",
    "post-trashed": "deleted",  # its post went to the trash
}
# Types of a reader's comment; pingbacks and trackbacks are notices from other sites.
COMMENT_TYPES = {"", "comment"}
PINGS = {"pingback", "trackback"}
# Items that are pages of the site even without comments (attachments, menus, revisions... are not).
PAGE_TYPES = {None, "post", "page"}
NO_DATE = "0000-00-00 00:00:00"  # what WordPress writes for a date it never set


def read(path: Path, reached: Reached | None = None) -> Iterator[Record]:
    wp = _namespace(path, root(path, EXPORT, ROOT))
    comment_tag = f"{wp}comment"
    threads: dict[etree._Element, str] = {}  # an open item → its thread's source id
    for element in ends(path, EXPORT, (ITEM, comment_tag), reached):
        parent = element.getparent()
        if element.tag == comment_tag and parent.tag == ITEM:
            if parent not in threads:
                threads[parent] = _thread_id(parent, wp)
            yield _comment(path, element, threads[parent], wp)
            release(element, comment_tag)  # the item's own fields are read at its end
        elif element.tag == ITEM and parent.tag == CHANNEL:
            thread_id = threads.pop(element, None)
            if thread_id is not None or text(element.find(f"{wp}post_type")) in PAGE_TYPES:
                yield _thread(path, element, thread_id or _thread_id(element, wp), wp)
            release(element)


def _namespace(path: Path, rss: etree._Element) -> str:
    for uri in rss.nsmap.values():
        if WP_NAMESPACE.match(uri):
            return f"{{{uri}}}"
    raise Invalid(
        f"{path.name} is not {EXPORT}: it declares no wp: namespace"
        " (http://wordpress.org/export/…); nothing was imported."
    )


def _post_id(item: etree._Element, wp: str) -> str | None:
    """The post's id, else the one its link names when the blog has ``?p=N`` links."""
    post_id = text(item.find(f"{wp}post_id"))
    if post_id:
        return post_id
    link = text(item.find("link"))
    return parse_qs(urlsplit(link).query).get("p", [None])[0] if link else None


def _thread_id(item: etree._Element, wp: str) -> str:
    """What the item's comments name as their thread: the post's id, else its link, else its
    line in the file (which a second run of the same file gives again)."""
    return _post_id(item, wp) or text(item.find("link")) or f"line {item.sourceline}"


def _thread(path: Path, item: etree._Element, thread_id: str, wp: str) -> ImportedThread:
    return ImportedThread(
        source_id=thread_id,
        url=text(item.find("link")),
        identifier=_post_id(item, wp),
        title=text(item.find("title")),
        created_at=_time(
            path, item, text(item.find(f"{wp}post_date_gmt")), text(item.find(f"{wp}post_date"))
        ),
    )


def _comment(path: Path, element: etree._Element, thread_id: str, wp: str) -> Record:
    def field(name: str) -> str | None:
        return text(element.find(f"{wp}comment_{name}"))

    comment_id = field("id")
    if not comment_id:
        raise Invalid(
            f"{path.name}, line {element.sourceline}: a comment has no wp:comment_id; nothing was imported."
        )
    kind = (field("type") or "").lower()
    if kind not in COMMENT_TYPES:
        return Skipped("ping" if kind in PINGS else "type")
    created_at = _time(path, element, field("date_gmt"), field("date"))
    if created_at is None:
        raise Invalid(
            f"{path.name}, line {element.sourceline}: comment {comment_id} has no date"
            " (wp:comment_date_gmt or wp:comment_date); nothing was imported."
        )
    parent = field("parent")
    return ImportedComment(
        source_id=f"{thread_id}/{comment_id}",
        thread_id=thread_id,
        parent_id=f"{thread_id}/{parent}" if parent and parent != "0" else None,
        author=_author(field("author"), field("author_email"), field("author_url")),
        body=_paragraphs(field("content") or ""),
        created_at=created_at,
        # An unknown state waits for a moderator rather than being published.
        status=STATUSES.get(field("approved") or "", "pending"),
    )


def _author(name: str | None, email: str | None, url: str | None) -> ImportedAuthor | None:
    """WordPress shows each comment under the name and address given with it (an account's
    too): the same pair is the same author."""
    if not name and not email:
        return None
    name = " ".join((name or "").split())
    return ImportedAuthor(key=f"{name} <{(email or '').lower()}>", name=name, email=email, url=url)


def _paragraphs(content: str) -> str:
    """WordPress stores a comment as typed and makes paragraphs of its blank lines, and line
    breaks of its other newlines, when it shows it (wpautop): the same here, before sanitising."""
    paragraphs = re.split(r"\n[ \t]*\n", content.replace("\r\n", "\n").strip())
    return "".join(f"<p>{p.strip().replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip())


def _time(path: Path, element: etree._Element, gmt: str | None, local: str | None) -> datetime | None:
    """The GMT time, else the blog's local time taken as UTC (the export does not say the
    blog's offset), else None."""
    for value in (gmt, local):
        if value and value != NO_DATE:
            try:
                return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                raise Invalid(
                    f"{path.name}, line {element.sourceline}: {value!r} is not a time (as"
                    " 2014-01-14 17:31:03); nothing was imported."
                ) from None
    return None
