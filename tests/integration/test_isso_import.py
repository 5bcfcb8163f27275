"""Importing an Isso database written by a real Isso (tests/isso_server.py): threads, replies, an
edited comment, a deleted one with a reply, one removed outright, and one held in moderation."""

from __future__ import annotations

import itertools
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from commentsvc.domain.imports import Importer
from commentsvc.errors import Invalid
from commentsvc.imports import READERS
from commentsvc.model.imports import KeyMode, Source
from tests.builders import flatten, make_site, read_thread
from tests.imported import imported, site_counts
from tests.isso_server import IssoCommenter, IssoServer

FIRST, SECOND = "/billets/premier/", "/billets/second/"
ZOE = {"author": "Zoë & Co", "email": "Zoe@Example.org", "website": "https://zoe.example"}
BOB = {"author": "Bob", "email": "bob@example.org"}


@dataclass(frozen=True)
class IssoSite:
    database: Path
    written: dict[str, dict[str, Any]]  # Isso's answer for each comment, by the test's name for it

    def id(self, name: str) -> str:
        return str(self.written[name]["id"])

    def created(self, name: str) -> datetime:
        return datetime.fromtimestamp(self.written[name]["created"], UTC)


@pytest.fixture(scope="module")
def isso_site(tmp_path_factory: pytest.TempPathFactory) -> IssoSite:
    """Comments written through Isso's API, as its embed writes them; then, with moderation on,
    one more that waits for the site's owner."""
    directory = tmp_path_factory.mktemp("isso")
    database = directory / "comments.db"
    written: dict[str, dict[str, Any]] = {}
    with IssoServer(directory, database) as server:
        isso = IssoCommenter(server)
        written["first"] = isso.post(
            FIRST, "Premier *commentaire*, en Markdown.", title="Premier billet", **ZOE
        )
        written["reply"] = isso.post(FIRST, "Une réponse.", parent=written["first"]["id"], **BOB)
        # Isso hangs a reply to a reply under the top-level comment: its threads are one level deep.
        written["deeper"] = isso.post(
            FIRST, "Et une réponse à la réponse.", parent=written["reply"]["id"], **ZOE
        )
        written["edited"] = isso.post(FIRST, "Avant correction.", **ZOE)
        isso.edit(written["edited"], "Après **correction**.")
        gone = isso.post(FIRST, "Aussitôt effacé.")  # no reply: Isso removes it outright
        isso.delete(gone)
        written["anchor"] = isso.post(
            FIRST, "Effacé, mais répondu.", author="Carol", email="carol@example.org"
        )
        written["under"] = isso.post(FIRST, "Réponse à un effacé.", parent=written["anchor"]["id"], **BOB)
        isso.delete(written["anchor"])  # a reply under it: Isso empties it and keeps it
        written["second"] = isso.post(SECOND, "Sur le second billet.", title="Second billet", **BOB)
        isso.close()
    with IssoServer(directory, database, moderated=True) as server:
        isso = IssoCommenter(server)
        written["held"] = isso.post(
            SECOND, "En attente de modération.", author="Dave", email="dave@example.org"
        )
        isso.close()
    return IssoSite(database, written)


async def import_isso(db, slug: str, database: Path, **options: Any):
    return await Importer(db).run(slug, Source.ISSO, READERS[Source.ISSO](database), **options)


@pytest.mark.slow  # a real Isso, started twice, writes the database
async def test_an_isso_database_keeps_its_threads_authors_times_and_statuses(client, db, isso_site):
    site = await make_site(db)
    summary = await import_isso(db, site, isso_site.database)
    assert (summary.threads, summary.articles_created) == (2, 2)
    assert (summary.comments, summary.comments_created, summary.already_imported) == (8, 8, 0)
    # Zoë, Bob, Dave, and Carol's deleted comment: Isso cleared her name but kept her address.
    assert (summary.authors_created, summary.skipped, summary.dry_run) == (4, {}, False)

    rows = await imported(db, site)
    by_name = {name: rows[isso_site.id(name)] for name in isso_site.written}
    assert {
        name: (row.article, row.parent and int(row.parent), row.depth) for name, row in by_name.items()
    } == {
        "first": (FIRST, None, 0),
        "reply": (FIRST, isso_site.written["first"]["id"], 1),
        "deeper": (FIRST, isso_site.written["first"]["id"], 1),
        "edited": (FIRST, None, 0),
        "anchor": (FIRST, None, 0),
        "under": (FIRST, isso_site.written["anchor"]["id"], 1),
        "second": (SECOND, None, 0),
        "held": (SECOND, None, 0),
    }
    assert {name: row.created_at for name, row in by_name.items()} == {
        name: isso_site.created(name) for name in isso_site.written
    }
    assert {name: row.status for name, row in by_name.items()} == {
        **dict.fromkeys(["first", "reply", "deeper", "edited", "under", "second"], "approved"),
        "anchor": "deleted",
        "held": "pending",
    }
    assert {name: (row.author, row.guest_email) for name, row in by_name.items()} == {
        "first": ("Zoë & Co", "Zoe@Example.org"),
        "reply": ("Bob", "bob@example.org"),
        "deeper": ("Zoë & Co", "Zoe@Example.org"),
        "edited": ("Zoë & Co", "Zoe@Example.org"),
        "anchor": ("Anonymous", "carol@example.org"),
        "under": ("Bob", "bob@example.org"),
        "second": ("Bob", "bob@example.org"),
        "held": ("Dave", "dave@example.org"),
    }
    assert by_name["first"].body == "Premier *commentaire*, en Markdown."
    assert "<em>commentaire</em>" in by_name["first"].body_html
    assert by_name["edited"].body == "Après **correction**."  # the text as edited
    assert await db.fetchval(
        "SELECT count(*) FROM moderation_items m JOIN imported_comments i USING (comment_id) "
        "WHERE i.source_id = $1 AND m.kind = 'held' AND m.decided_at IS NULL",
        isso_site.id("held"),
    ) == 1  # fmt: skip

    # What a reader is shown: Isso's threads and titles, the deleted comment as a placeholder.
    first = await read_thread(client, site, FIRST)
    assert (first["article"]["title"], first["article"]["comment_count"]) == ("Premier billet", 5)
    shown = [
        (c["author"] and c["author"]["display_name"], c["status"], c["depth"])
        for c in flatten(first["comments"])
    ]
    assert shown == [
        ("Zoë & Co", "approved", 0),
        ("Bob", "approved", 1),
        ("Zoë & Co", "approved", 1),
        ("Zoë & Co", "approved", 0),
        (None, "deleted", 0),
        ("Bob", "approved", 1),
    ]
    second = await read_thread(client, site, SECOND)
    assert (second["article"]["title"], second["article"]["comment_count"]) == ("Second billet", 1)
    assert [c["body_html"] for c in second["comments"]] == ["<p>Sur le second billet.</p>"]


@pytest.mark.slow  # a real Isso, started twice, writes the database
async def test_importing_an_isso_database_again_adds_nothing(db, isso_site):
    site = await make_site(db)
    await import_isso(db, site, isso_site.database)
    before = await site_counts(db, site)
    again = await import_isso(db, site, isso_site.database)
    assert (again.comments, again.comments_created, again.already_imported) == (8, 0, 8)
    assert (again.articles_created, again.authors_created) == (0, 0)
    assert await site_counts(db, site) == before == (2, 8, 4)


@pytest.mark.slow  # a real Isso, started twice, writes the database
async def test_a_dry_run_of_an_isso_import_says_what_it_would_do_and_writes_nothing(db, isso_site):
    site = await make_site(db)
    summary = await import_isso(db, site, isso_site.database, dry_run=True)
    assert (summary.dry_run, summary.articles_created, summary.comments_created, summary.authors_created) == (
        True, 2, 8, 4,
    )  # fmt: skip
    assert await site_counts(db, site) == (0, 0, 0)
    assert await db.fetchval("SELECT count(*) FROM users WHERE username LIKE $1", f"{site}:%") == 0


@pytest.mark.slow  # a real Isso, started twice, writes the database
async def test_isso_threads_named_by_their_path_are_keyed_by_it_whatever_the_key_mode(db, isso_site):
    for mode in KeyMode:
        site = await make_site(db)
        summary = await import_isso(db, site, isso_site.database, key_mode=mode)
        assert summary.comments_created == 8, mode
        assert {row.article for row in (await imported(db, site)).values()} == {FIRST, SECOND}


@pytest.mark.slow  # a real Isso, started twice, writes the database
def test_an_isso_database_is_read_on_from_another_thread(isso_site):
    """The import reads a batch at a time, each in whichever worker thread is free."""
    records = READERS[Source.ISSO](isso_site.database)
    with ThreadPoolExecutor(1) as first, ThreadPoolExecutor(1) as second:
        head = first.submit(lambda: list(itertools.islice(records, 3))).result()
        rest = second.submit(lambda: list(records)).result()
    assert len(head) + len(rest) == 2 + 8


def test_a_file_that_is_not_an_isso_database_is_refused_in_one_sentence(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("Ceci n'est pas une base de données.\n" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri TEXT, title TEXT)")
    read = READERS[Source.ISSO]
    for path, sentence in [
        (text, "notes.txt is not an Isso database: it is not an SQLite database."),
        (other, "other.db is not an Isso database: it has no table 'comments'."),
        (tmp_path / "missing.db", f"There is no file {str(tmp_path / 'missing.db')!r}."),
    ]:
        with pytest.raises(Invalid) as refused:
            list(read(path))
        assert str(refused.value) == sentence


async def test_a_refused_isso_file_leaves_nothing_behind(db, tmp_path):
    site = await make_site(db)
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + bytes(4080))
    with pytest.raises(Invalid):
        await import_isso(db, site, broken)
    assert await site_counts(db, site) == (0, 0, 0)
    assert not db.is_in_transaction()
