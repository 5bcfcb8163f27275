"""A site's export and its restore into an empty site.

An export reads the whole site in one snapshot (a repeatable-read transaction), a batch at a
time: the file is consistent however busy the site, and memory does not grow with it.

A restore writes the file's site in one transaction, or nothing. Its authors are this instance's
accounts when one has their address and either verified it or has their username too (a
username alone could be anybody's); the others become the site's guests, as an import's authors
do, and a reader who verifies the address claims them. Imported history is not news: like an
import, a restore writes one ``article.imported`` per article (readers' cached pages, the
moderation queue), never an event per comment."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime

import asyncpg
import msgspec

from commentsvc.domain import sites
from commentsvc.domain.comments import body_hash
from commentsvc.domain.events import outside_service
from commentsvc.domain.imports import guest_username
from commentsvc.errors import Conflict, Invalid
from commentsvc.model.backup import (
    BODY,
    FORMAT,
    VERSION,
    CommentRecord,
    End,
    Header,
    Record,
    RestoreSummary,
    UserRecord,
)
from commentsvc.model.events import ArticleImported, EventType, NewEvent
from commentsvc.store import backup as store

BATCH = 5000


async def export(conn: asyncpg.Connection, slug: str) -> AsyncIterator[Record]:
    """The site's records, the header first and the end last."""
    site = await sites.get_site(conn, slug)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        yield Header(
            format=FORMAT,
            version=VERSION,
            site=site.slug,
            name=site.name,
            origins=site.origins,
            settings=site.settings,
            exported_at=datetime.now(UTC),
        )
        count = 1
        for kind in BODY:
            async for record in store.records(conn, site.id, kind):
                count += 1
                yield record
        yield End(records=count)


def _row(record: Record, slug: str) -> tuple:
    row = msgspec.structs.astuple(record)
    if isinstance(record, UserRecord):
        return (*row, guest_username(slug))
    if isinstance(record, CommentRecord):
        return (*row, body_hash(record.body))
    return row


async def restore(
    conn: asyncpg.Connection,
    slug: str,
    header: Header,
    records: Iterable[Record],
) -> RestoreSummary:
    """Write the records of an export (read from a file, blocking: in a thread, a batch at a
    time) into the site ``slug``, which must have no article yet. The site takes the export's
    settings; its name and origins stay its own."""
    site = await sites.get_site(conn, slug)
    records = iter(records)
    async with outside_service(conn) as change:
        if not await store.lock_empty_site(conn, site.id):
            raise Conflict(
                f"The site {slug!r} already has articles: a restore goes into an empty site "
                "(create a new one with `commentsvc site create`)."
            )
        await sites.update_site(conn, slug, msgspec.structs.asdict(header.settings))
        await store.stage(conn)
        while batch := await asyncio.to_thread(lambda: list(itertools.islice(records, BATCH))):
            for kind, of_kind in itertools.groupby(batch, type):
                await store.copy(conn, kind, [_row(record, slug) for record in of_kind])
        if missing := await store.dangling(conn):
            raise Invalid(f"the file is damaged: it lacks what its records name ({', '.join(missing)}).")
        with store.kept():
            accounts = await store.map_accounts(conn)
            guests = await store.insert_guests(conn, site.id)
            articles = await store.insert_articles(conn, site.id)
            comments = await store.insert_comments(conn)
            votes, reports = await store.insert_votes_and_reports(conn)
            items, bans = await store.insert_moderation(conn, site.id)
            entries, appeals, roles, roles_not_given = await store.insert_audit_and_roles(conn, site.id)
        await change.record(
            *(NewEvent(EventType.ARTICLE_IMPORTED, site.id, article_id, ArticleImported(n, held, held > 0))
              for article_id, n, held in await store.restored_articles(conn))
        )  # fmt: skip
    return RestoreSummary(
        articles=articles,
        comments=comments,
        accounts=accounts,
        guests=guests,
        votes=votes,
        reports=reports,
        moderation_items=items,
        bans=bans,
        audit_entries=entries,
        appeals=appeals,
        roles=roles,
        roles_not_given=roles_not_given,
    )
