"""Importing a Remark42 backup. tests/import_files/remark42-backup.jsonl is written to the format
Remark42 documents and writes (umputun/remark42: site/src/docs/backup/backup/index.md, "Backup
format"; backend/app/migrator/native.go, Export and exportMeta; backend/app/store/comment.go,
Comment and SetDeleted; backend/app/store/service/service.go, UserMetaData): the version line with
users (one with an address) and posts, then one comment per line, nested three deep, one deleted
with a reply, one deleted with its author's data, one with scripts in its HTML."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from commentsvc.domain.imports import Importer
from commentsvc.errors import Invalid
from commentsvc.imports import READERS
from commentsvc.model.imports import Source
from tests.builders import flatten, make_site, read_thread
from tests.imported import imported, site_counts

BACKUP = Path(__file__).parent.parent / "import_files" / "remark42-backup.jsonl"
BONJOUR, AUTRE = "/2024/bonjour/", "/2024/autre/"
read = READERS[Source.REMARK42]


def ids(*numbers: int) -> list[str]:
    return [f"3b2f6f0e-6a51-4f6e-9f59-1d0c4a7e{n:04d}" for n in numbers]


async def import_remark42(db, slug: str, path: Path, **options: Any):
    return await Importer(db).run(slug, Source.REMARK42, read(path), **options)


def gzipped(path: Path, into: Path) -> Path:
    target = into / (path.name + ".gz")
    with path.open("rb") as plain, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    return target


async def test_a_remark42_backup_keeps_its_threads_authors_times_and_statuses(client, db):
    site = await make_site(db)
    summary = await import_remark42(db, site, BACKUP)
    assert (summary.threads, summary.articles_created) == (2, 2)
    assert (summary.comments, summary.comments_created, summary.already_imported) == (7, 7, 0)
    # Alice, Bob and Carol; the comment deleted with its author's data has no author.
    assert (summary.authors_created, summary.skipped) == (3, {})

    rows = await imported(db, site)
    one, two, three, four, five, six, seven = ids(1, 2, 3, 4, 5, 6, 7)
    assert {i: (row.article, row.parent, row.depth, row.status) for i, row in rows.items()} == {
        one: (BONJOUR, None, 0, "approved"),
        two: (BONJOUR, one, 1, "approved"),
        three: (BONJOUR, two, 2, "approved"),
        four: (BONJOUR, None, 0, "deleted"),
        five: (BONJOUR, four, 1, "approved"),
        six: (BONJOUR, None, 0, "deleted"),
        seven: (AUTRE, None, 0, "approved"),
    }
    paris, new_york = timezone(timedelta(hours=1)), timezone(timedelta(hours=-4))
    assert {i: row.created_at for i, row in rows.items()} == {
        one: datetime(2024, 3, 1, 9, 15, 0, 123457, paris),  # nanoseconds, to PostgreSQL's microseconds
        two: datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        three: datetime(2024, 3, 1, 10, 30, tzinfo=paris),
        four: datetime(2024, 3, 2, 8, 0, tzinfo=UTC),
        five: datetime(2024, 3, 2, 9, 0, tzinfo=UTC),
        six: datetime(2024, 3, 3, 12, 0, tzinfo=UTC),
        seven: datetime(2024, 4, 10, 18, 45, 30, 500000, new_york),
    }
    assert {i: (row.author, row.guest_email) for i, row in rows.items()} == {
        one: ("Alice", "alice@blog.example"),  # the address the users' line gives her
        two: ("Bob", None),
        three: ("Alice", "alice@blog.example"),
        four: ("Carol", None),
        five: ("Bob", None),
        six: (None, None),
        seven: ("Alice", "alice@blog.example"),
    }
    assert (rows[one].body, rows[one].body_html) == (
        "Bonjour tout le monde",
        "<p>Bonjour <strong>tout le monde</strong></p>",
    )
    # Scripts, javascript: links and event handlers are gone, the text stays.
    assert "script" not in rows[seven].body_html and "javascript" not in rows[seven].body_html
    assert "onerror" not in rows[seven].body_html and "Joli" in rows[seven].body_html

    bonjour = await read_thread(client, site, BONJOUR)
    assert (bonjour["article"]["title"], bonjour["article"]["comment_count"]) == ("Bonjour", 4)
    assert [
        (c["author"] and c["author"]["display_name"], c["status"], c["depth"])
        for c in flatten(bonjour["comments"])
    ] == [
        ("Alice", "approved", 0),
        ("Bob", "approved", 1),
        ("Alice", "approved", 2),
        (None, "deleted", 0),  # kept for Bob's reply; the one deleted with no reply is not shown
        ("Bob", "approved", 1),
    ]
    autre = await read_thread(client, site, AUTRE)
    assert (autre["article"]["title"], autre["article"]["comment_count"]) == ("Autre billet", 1)


async def test_a_gzipped_remark42_backup_is_read_as_the_plain_one(db, tmp_path):
    plain, packed = await make_site(db), await make_site(db)
    await import_remark42(db, plain, BACKUP)
    await import_remark42(db, packed, gzipped(BACKUP, tmp_path))
    assert await imported(db, packed) == await imported(db, plain)


async def test_importing_a_remark42_backup_again_adds_nothing(db):
    site = await make_site(db)
    await import_remark42(db, site, BACKUP)
    again = await import_remark42(db, site, BACKUP)
    assert (again.comments_created, again.already_imported, again.articles_created, again.authors_created) == (
        0, 7, 0, 0,
    )  # fmt: skip
    assert await site_counts(db, site) == (2, 7, 3)


async def test_a_dry_run_of_a_remark42_import_writes_nothing(db):
    site = await make_site(db)
    summary = await import_remark42(db, site, BACKUP, dry_run=True)
    assert (summary.dry_run, summary.comments_created, summary.authors_created) == (True, 7, 3)
    assert await site_counts(db, site) == (0, 0, 0)


async def test_a_merged_remark42_file_without_its_version_line_is_read(db, tmp_path):
    """Remark42's restore documentation merges exports with `grep -v '{"version":1'`."""
    merged = tmp_path / "combined-export.json"
    merged.write_text("".join(BACKUP.read_text().splitlines(keepends=True)[1:]))
    site = await make_site(db)
    summary = await import_remark42(db, site, merged)
    assert summary.comments_created == 7
    assert (await imported(db, site))[ids(1)[0]].guest_email is None  # the users' line held it


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"", "backup.jsonl is empty: a Remark42 backup starts with its version line."),
        (
            b'<?xml version="1.0"?>\n<disqus/>\n',
            "backup.jsonl is not a Remark42 backup: its first line is not JSON.",
        ),
        (b"[1, 2]\n", "backup.jsonl is not a Remark42 backup: its first line is not a JSON object."),
        (
            b'{"version": 2, "users": [], "posts": []}\n',
            "backup.jsonl is a Remark42 backup of version 2, which this import cannot read.",
        ),
    ],
)
def test_a_file_that_is_not_a_remark42_backup_is_refused_in_one_sentence(tmp_path, content, sentence):
    path = tmp_path / "backup.jsonl"
    path.write_bytes(content)
    with pytest.raises(Invalid) as refused:
        list(read(path))
    assert str(refused.value) == sentence


async def test_a_remark42_backup_that_breaks_halfway_leaves_nothing_behind(db, tmp_path):
    lines = BACKUP.read_bytes().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join(lines[:4]) + b'{"id": "x", "pid": ""}\n' + b"".join(lines[4:]))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzipped(BACKUP, tmp_path).read_bytes()[:-40])
    for path, refusal in [
        (
            broken,
            "Line 5 of broken.jsonl is not a Remark42 comment (Object missing required field `locator`).",
        ),
        (cut, "cut.jsonl.gz cannot be read to its end: "),
    ]:
        site = await make_site(db)
        with pytest.raises(Invalid) as refused:
            await import_remark42(db, site, path)
        assert str(refused.value).startswith(refusal)
        assert await site_counts(db, site) == (0, 0, 0)
