"""Comments brought in from another system: what each format's reader (``commentsvc.imports``)
yields, in the order the file gives it, and what an import reports at the end."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

import msgspec


class Source(StrEnum):
    """The systems an import reads (sql/0021 lists them too)."""

    DISQUS = "disqus"
    WORDPRESS = "wordpress"
    ISSO = "isso"
    REMARK42 = "remark42"


class KeyMode(StrEnum):
    """What an imported thread's article key is made of (API.md, "Import, export, backup")."""

    PATH = "path"  # the path of the thread's URL, as the widget derives it without data-article-id
    URL = "url"  # the whole URL
    IDENTIFIER = "identifier"  # the source's own identifier of the thread


class ImportedThread(msgspec.Struct, frozen=True):
    """A thread (an article) of the source. A thread without comments is still one."""

    source_id: str  # the thread's id in the source: what comments name as their thread
    url: str | None
    identifier: str | None  # the source's own key for the page (Disqus <id>, Isso's uri…)
    title: str | None
    created_at: datetime | None


class ImportedAuthor(msgspec.Struct, frozen=True):
    """Who wrote a comment, as the source knew them."""

    key: str  # tells the source's authors apart: its username, else its name and address
    name: str
    email: str | None
    url: str | None


Status = Literal["approved", "pending", "rejected", "spam", "deleted"]


class ImportedComment(msgspec.Struct, frozen=True):
    """A comment of the source. Its thread and parent may come later in the file, or never (then
    the import says so in its summary)."""

    source_id: str
    thread_id: str  # an ImportedThread's source_id
    parent_id: str | None  # another ImportedComment's source_id
    author: ImportedAuthor | None  # None: the source has no name for them
    body: str  # as the source stored it, in ``markup``
    created_at: datetime
    status: Status
    markup: Literal["html", "markdown"] = "html"  # Markdown (or plain text) is rendered as ours is


class Skipped(msgspec.Struct, frozen=True):
    """A comment of the source its reader leaves out (a WordPress pingback, say), told so that the
    summary counts it: ``reason`` is one of the importer's reasons (``domain.imports.REASONS``)."""

    source_id: str
    reason: str


Record = ImportedThread | ImportedComment | Skipped


class ImportSummary(msgspec.Struct, frozen=True):
    """What an import did (or, on a dry run, would have done)."""

    threads: int  # threads read
    articles_created: int
    comments: int  # comments read
    comments_created: int
    already_imported: int  # comments an earlier run brought in
    authors_created: int  # guests made for authors without an account here
    replies_without_parent: int  # replies whose parent is not in the file: kept as top-level comments
    skipped: dict[str, int]  # comments left out, by reason
    dry_run: bool
