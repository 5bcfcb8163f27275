"""Isso's SQLite database, read as Isso 0.13/0.14 writes it (schema version 5: isso/db/threads.py
and isso/db/comments.py of isso-comments/isso), opened read-only.

- A thread is a row of ``threads``: ``uri`` is what the page's embed named it, its path unless
  the page set ``data-isso-id``; ``title`` is the page's title as Isso fetched it.
- A comment's ``mode`` is 1 accepted, 2 waiting in moderation, 4 deleted (Isso keeps a deleted
  comment with replies, its text emptied, its author and website cleared: a placeholder);
  ``created`` is a Unix time; ``text`` is the Markdown its author wrote; ``author``, ``email`` and
  ``website`` are HTML-escaped by Isso before they are stored. Isso knows no accounts: an author
  is their name and address.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from itertools import chain
from pathlib import Path

from commentsvc.errors import Invalid
from commentsvc.imports.reach import Reached, reporting
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, Record, Status

MODES: dict[int, Status] = {1: "approved", 2: "pending", 4: "deleted"}
# The columns this reader needs; a database without them is not Isso's.
COLUMNS = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "mode", "text", "author", "email", "website"},
}
NOT_ISSO = "{name} is not an Isso database: {why}."


def read(path: Path, reached: Reached | None = None) -> Iterator[Record]:
    """The threads, then the comments, of the Isso database at ``path``."""
    conn = _open(path)
    try:
        rows = max(
            conn.execute(
                "SELECT (SELECT count(*) FROM threads) + (SELECT count(*) FROM comments)"
            ).fetchone()[0],
            1,
        )
        yield from reporting(chain(_threads(conn), _comments(conn)), reached, lambda n: n / rows)
    except sqlite3.DatabaseError as exc:  # a file damaged past its first pages
        raise Invalid(NOT_ISSO.format(name=path.name, why=f"SQLite could not read it ({exc})")) from exc
    finally:
        conn.close()


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise Invalid(f"There is no file {str(path)!r}.")
    # Read-only: an import never changes the database it reads, even one Isso is still serving.
    # The import reads each batch in whichever worker thread is free, one batch at a time.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    try:
        for table, wanted in COLUMNS.items():
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if not wanted <= have:
                missing = "table" if not have else f"column {sorted(wanted - have)[0]!r} of table"
                raise Invalid(NOT_ISSO.format(name=path.name, why=f"it has no {missing} {table!r}"))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise Invalid(NOT_ISSO.format(name=path.name, why="it is not an SQLite database")) from exc
    except Invalid:
        conn.close()
        raise
    return conn


def _threads(conn: sqlite3.Connection) -> Iterator[ImportedThread]:
    rows = conn.execute(
        """SELECT t.id, t.uri, t.title, (SELECT min(c.created) FROM comments c WHERE c.tid = t.id)
           FROM threads t ORDER BY t.id"""
    )
    for thread_id, uri, title, first in rows:
        yield ImportedThread(
            source_id=str(thread_id),
            # A uri set by data-isso-id need not be a path: then only --key identifier keys it.
            url=uri if isinstance(uri, str) and uri.startswith(("/", "http://", "https://")) else None,
            identifier=uri or None,
            title=unescape(title) if title else None,
            created_at=_time(first) if first is not None else None,
        )


def _comments(conn: sqlite3.Connection) -> Iterator[ImportedComment]:
    rows = conn.execute(
        "SELECT id, tid, parent, created, mode, text, author, email, website FROM comments ORDER BY id"
    )
    for comment_id, thread_id, parent, created, mode, text, author, email, website in rows:
        yield ImportedComment(
            source_id=str(comment_id),
            thread_id=str(thread_id),
            parent_id=str(parent) if parent is not None else None,
            author=_author(author, email, website),
            body=text or "",
            created_at=_time(created),
            # A mode Isso does not write: a moderator looks at it before anyone else does.
            status=MODES.get(mode, "pending"),
            markup="markdown",
        )


def _author(name: str | None, email: str | None, website: str | None) -> ImportedAuthor | None:
    name = unescape(name).strip() if name else ""
    email = unescape(email).strip() if email else ""
    if not name and not email:
        return None
    return ImportedAuthor(
        key=f"{name} <{email.lower()}>",
        name=name,
        email=email or None,
        url=(unescape(website).strip() or None) if website else None,
    )


def _time(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise Invalid(f"A comment of the Isso database has no usable time ({value!r}).") from exc
