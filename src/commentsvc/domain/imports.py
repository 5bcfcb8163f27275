"""Importing another system's comments into a site: the records a format's reader yields
(``commentsvc.imports``) are checked and converted here, copied in batches into the import's
temporary tables, then merged in one transaction: a file that fails leaves nothing behind, and a
second run adds nothing twice (each comment is kept under its source id).

Imported comments are history, not news: they write no ``comment.created`` events (no reply mail,
no webhooks per comment), only one ``article.imported`` per article that gained comments, whose
subscribers refresh what readers are served."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from html import unescape

import asyncpg
import nh3
from ada_url import URL

from commentsvc.domain.events import Change, Dispatcher, outside_service
from commentsvc.domain.rendering import MAX_BODY_CHARS, check_text, render, sanitise
from commentsvc.errors import Invalid, NotFound
from commentsvc.model.events import ArticleImported, EventType, NewEvent
from commentsvc.model.imports import (
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    ImportSummary,
    KeyMode,
    Record,
    Skipped,
    Source,
)
from commentsvc.store import imports as store
from commentsvc.store import sites

BATCH = 5000
MAX_KEY = 512
MAX_NAME = 64
ANONYMOUS = "Anonymous"
BARE_PATH_BASE = "http://bare-path.invalid"
# What an emptied deleted comment (kept for its replies) stores: a body cannot be empty.
EMPTIED = "-"

# Why comments were left out, as the summary says it.
REASONS = {
    "thread": "its thread is not in the file",
    "key": "its thread has no URL or identifier to key it by",
    "duplicate": "the same id appears twice in the file",
    "already": "already imported",
    "deep": "in a reply cycle, or deeper than 50 replies",
    "empty": "empty body",
    "long": f"body longer than {MAX_BODY_CHARS} characters",
    "text": "body with control or invalid characters",
    # Left out by their reader (model.imports.Skipped):
    "ping": "a pingback or trackback, not a comment",
    "type": "a WordPress comment of another type than a reader's comment (an order note, a review…)",
}

Progress = Callable[[int], None]  # told how many more records were read


def article_key(thread: ImportedThread, mode: KeyMode) -> str | None:
    """The article key a thread is imported under: by default the path of its URL, as the widget
    derives it without ``data-article-id``."""
    if mode is KeyMode.IDENTIFIER:
        key = thread.identifier
    elif not thread.url:
        key = None
    else:
        # A bare path (Isso's threads are named so) is a page of the site itself: its path is all
        # there is to key it by, whatever the mode.
        bare = thread.url.startswith("/")
        try:
            url = URL(thread.url, base=BARE_PATH_BASE) if bare else URL(thread.url)
        except ValueError:
            return None
        key = url.href if mode is KeyMode.URL and not bare else url.pathname
    return key if key and len(key) <= MAX_KEY else None


def _body(comment: ImportedComment) -> tuple[str, str] | str:
    """The stored source and HTML of an imported body, or why it cannot be kept. HTML passes the
    comments' own allowlist, and its source (what its author would edit, once they claim it) is
    its text; Markdown is rendered as a new comment's is."""
    if len(comment.body) > 4 * MAX_BODY_CHARS:  # no need to read a body that cannot be kept anyway
        return "long"
    if comment.markup == "markdown":
        body = comment.body.strip()
        body_html = render(body) if body and len(body) <= MAX_BODY_CHARS else ""
    else:
        body_html = sanitise(comment.body)
        body = _text(body_html)
    if not body:
        # Isso and Remark42 empty a deleted comment that has replies, and keep it as their anchor.
        return (EMPTIED, "") if comment.status == "deleted" else "empty"
    if len(body) > MAX_BODY_CHARS:
        return "long"
    try:
        check_text(body, "body")
    except Invalid:
        return "text"
    return body, body_html


def _text(body_html: str) -> str:
    """Plain text of sanitised HTML: tags dropped, paragraphs kept apart by a blank line."""
    spaced = body_html.replace("</p>", "</p>\n\n").replace("<br>", "\n").replace("</li>", "</li>\n")
    return unescape(nh3.clean(spaced, tags=set())).strip()


def _username(slug: str) -> str:
    """A guest's username: the form SSO accounts have too (no local username holds ":")."""
    letters = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:12]
    return f"{slug}:{letters}"


def _author_row(author: ImportedAuthor, slug: str) -> tuple:
    name = " ".join(author.name.split())[:MAX_NAME] or ANONYMOUS
    email = author.email.strip() if author.email and 3 <= len(author.email.strip()) <= 254 else None
    url = author.url if author.url and len(author.url) <= 2048 else None
    return (author.key[:600], _username(slug), name, email, url)


class _DryRun(Exception):
    """Rolls a dry run's transaction back, carrying what it would have done."""

    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary


class Importer:
    """Reads a format's records into a site. Given the service's dispatcher (an import started
    from the dashboard), its events are delivered at commit; without one (the CLI), the running
    service's dispatchers take them at their next pass."""

    def __init__(self, conn: asyncpg.Connection, events: Dispatcher | None = None) -> None:
        self._conn = conn
        self._events = events

    async def run(
        self,
        slug: str,
        source: Source,
        records: Iterable[Record],
        key_mode: KeyMode = KeyMode.PATH,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import ``records`` into the site ``slug``. Reading the file (blocking) happens in a
        thread, a batch at a time. A dry run does everything, then rolls it back."""
        site = await sites.get_site(self._conn, slug)
        if site is None:
            raise NotFound(f"There is no site {slug!r}.")
        try:
            async with self._transaction() as change:
                summary = await self._run(
                    change, site.id, slug, source, iter(records), key_mode, dry_run, progress
                )
                if dry_run:
                    raise _DryRun(summary)
        except _DryRun as rolled_back:
            return rolled_back.summary
        return summary

    def _transaction(self) -> contextlib.AbstractAsyncContextManager[Change]:
        if self._events is not None:
            return self._events.transaction(self._conn)
        return outside_service(self._conn)

    async def _run(
        self,
        change: Change,
        site_id: int,
        slug: str,
        source: Source,
        records: Iterator[Record],
        key_mode: KeyMode,
        dry_run: bool,
        progress: Progress | None,
    ) -> ImportSummary:
        conn = self._conn
        await store.stage(conn)
        threads = comments = 0
        skipped: dict[str, int] = {}
        authors_seen: set[str] = set()
        while batch := await asyncio.to_thread(lambda: list(itertools.islice(records, BATCH))):
            thread_rows, author_rows, comment_rows = [], [], []
            for record in batch:
                if isinstance(record, ImportedThread):
                    threads += 1
                    thread_rows.append(
                        (record.source_id, article_key(record, key_mode), record.title, record.url,
                         record.created_at)
                    )  # fmt: skip
                    continue
                comments += 1
                kept = record.reason if isinstance(record, Skipped) else _body(record)
                if isinstance(kept, str):
                    skipped[kept] = skipped.get(kept, 0) + 1
                    continue
                author = record.author
                if author is not None and author.key not in authors_seen:
                    authors_seen.add(author.key)
                    author_rows.append(_author_row(author, slug))
                comment_rows.append(_comment_row(comments, record, author, *kept))
            await store.copy_threads(conn, thread_rows)
            await store.copy_authors(conn, author_rows)
            await store.copy_comments(conn, comment_rows)
            if progress is not None:
                progress(len(batch))
        articles_created = await store.merge_articles(conn, site_id)
        left_out = await store.select_new_comments(conn, site_id, source)
        already = left_out.pop("already", 0)
        orphans = await store.link_parents(conn, site_id, source)
        authors_created = await store.merge_guests(conn, site_id, source)
        created, articles = await store.insert_comments(conn, site_id, source)
        to_create = comments - sum(skipped.values()) - sum(left_out.values()) - already
        if to_create > created:
            left_out["deep"] = to_create - created
        await change.record(
            *(NewEvent(EventType.ARTICLE_IMPORTED, site_id, article_id, ArticleImported(n, held, held > 0))
              for article_id, n, held in articles)
        )  # fmt: skip
        for reason, n in left_out.items():
            skipped[reason] = skipped.get(reason, 0) + n
        return ImportSummary(
            threads=threads,
            articles_created=articles_created,
            comments=comments,
            comments_created=created,
            already_imported=already,
            authors_created=authors_created,
            replies_without_parent=orphans,
            skipped={REASONS[reason]: n for reason, n in sorted(skipped.items())},
            dry_run=dry_run,
        )


def _comment_row(
    ord_: int, comment: ImportedComment, author: ImportedAuthor | None, body: str, body_html: str
) -> tuple:
    created_at = comment.created_at if comment.created_at.tzinfo else comment.created_at.replace(tzinfo=UTC)
    return (
        ord_,
        comment.source_id,
        comment.thread_id,
        comment.parent_id,
        author.key[:600] if author is not None else None,
        body,
        body_html,
        created_at,
        comment.status,
    )
