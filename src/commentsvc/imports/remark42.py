"""A Remark42 backup (``backup-SITE-YYYYMMDD.gz``, or an export made by its ``backup`` command),
read line by line, gzipped or not.

The format, from umputun/remark42: ``backend/app/migrator/native.go`` writes a first line
``{"version": 1, "users": [...], "posts": [...]}`` (``service.UserMetaData``: ``id``, ``blocked``,
``verified``, ``details.email``; ``service.PostMetaData``: ``url``, ``read_only``), then one
``store.Comment`` (``backend/app/store/comment.go``) per line: ``id``, ``pid`` (its parent, ""
for none), ``text`` (HTML, rendered from the Markdown kept in ``orig``), ``user`` (``id``,
``name``), ``locator`` (``site``, ``url``: its thread), ``time`` (RFC 3339), ``delete``,
``title`` (the page's) and ``imported`` (it came into Remark42 from another system: no matter
here). Its documentation (site/src/docs/backup/backup/index.md and restore/index.md) adds that
backups are gzipped, and that a file merged from several may lack the first line.

Remark42 holds comments for no moderator: each is published unless deleted. A deleted comment
keeps its place under its replies, its text emptied (``Comment.SetDeleted``); deleted with its
author's data, it names the user "deleted".
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

import msgspec

from commentsvc.errors import Invalid
from commentsvc.imports.reach import Reached, reporting
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, Record

VERSIONS = (0, 1)  # what native.go's Import accepts
ERASED = "deleted"  # the user id and name Comment.SetDeleted(HardDelete) leaves
GZIP_MAGIC = b"\x1f\x8b"


class _User(msgspec.Struct):
    id: str = ""
    name: str = ""


class _Locator(msgspec.Struct):
    url: str = ""


class _Comment(msgspec.Struct):
    id: str
    locator: _Locator
    time: datetime
    pid: str = ""
    text: str = ""
    user: _User = msgspec.field(default_factory=_User)
    delete: bool = False
    title: str = ""


class _Details(msgspec.Struct):
    email: str = ""


class _UserMeta(msgspec.Struct):
    id: str
    details: _Details = msgspec.field(default_factory=_Details)


class _Meta(msgspec.Struct):
    version: int = 0
    users: list[_UserMeta] | None = None


_comment = msgspec.json.Decoder(_Comment)


def read(path: Path, reached: Reached | None = None) -> Iterator[Record]:
    """Each thread as its first comment names it, then that comment; and so on to the end."""
    if not path.is_file():
        raise Invalid(f"There is no file {str(path)!r}.")
    size = max(path.stat().st_size, 1)
    with path.open("rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        # How far: the bytes read of the file itself, compressed or not.
        with gzip.GzipFile(fileobj=raw) if gzipped else raw as lines:
            try:
                yield from reporting(_records(path.name, lines), reached, lambda _: raw.tell() / size)
            except (OSError, EOFError, zlib.error) as exc:  # a damaged or cut gzip stream
                raise Invalid(f"{path.name} cannot be read to its end: {exc}.") from exc


def _records(name: str, lines: IO[bytes]) -> Iterator[Record]:
    emails: dict[str, str] = {}
    threads: set[str] = set()
    number = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if number == 1:
            meta = _meta(name, line)
            if meta is not None:
                emails = {u.id: u.details.email for u in meta.users or () if u.details.email}
                continue
        try:
            comment = _comment.decode(line)
        except msgspec.DecodeError as exc:
            raise Invalid(f"Line {number} of {name} is not a Remark42 comment ({exc}).") from exc
        url = comment.locator.url
        if url not in threads:
            threads.add(url)
            yield ImportedThread(
                source_id=url,
                url=url or None,
                identifier=url or None,
                title=comment.title or None,
                created_at=None,
            )
        yield _imported(comment, emails)
    if number == 0:
        raise Invalid(f"{name} is empty: a Remark42 backup starts with its version line.")


def _meta(name: str, line: bytes) -> _Meta | None:
    """The version line, or None when the file starts with a comment (merged files may)."""
    try:
        first = msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise Invalid(f"{name} is not a Remark42 backup: its first line is not JSON.") from exc
    if not isinstance(first, dict):
        raise Invalid(f"{name} is not a Remark42 backup: its first line is not a JSON object.")
    if "locator" in first:
        return None
    try:
        meta = msgspec.convert(first, _Meta)
    except msgspec.ValidationError as exc:
        raise Invalid(f"{name} is not a Remark42 backup: its version line is not one ({exc}).") from exc
    if meta.version not in VERSIONS:
        raise Invalid(
            f"{name} is a Remark42 backup of version {meta.version}, which this import cannot read."
        )
    return meta


def _imported(comment: _Comment, emails: dict[str, str]) -> ImportedComment:
    user = comment.user
    erased = comment.delete and user.id == ERASED
    author = None
    if user.id and not erased:
        author = ImportedAuthor(key=user.id, name=user.name, email=emails.get(user.id), url=None)
    return ImportedComment(
        source_id=comment.id,
        thread_id=comment.locator.url,
        parent_id=comment.pid or None,
        author=author,
        body=comment.text,
        created_at=comment.time,
        status="deleted" if comment.delete else "approved",
        markup="html",
    )
