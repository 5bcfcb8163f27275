"""The import engine, fed records as any format's reader yields them: what a file's quirks
(replies before their parents, cycles, duplicates, missing threads) become, what a second run and a
dry run write, and what readers and moderators are served afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from commentsvc.domain.imports import REASONS, Importer
from commentsvc.errors import Invalid, NotFound
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, KeyMode, Record, Source
from tests.builders import eventually, flatten, make_moderator, make_site, moderation_queue, read_thread

T0 = datetime(2019, 5, 1, 12, 0, tzinfo=UTC)
ALICE = ImportedAuthor("alice", "Alice", "alice@example.org", "https://alice.example")
BOB = ImportedAuthor("bob", "Bob  B.", None, None)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def stamp(minutes: int) -> str:
    return at(minutes).isoformat().replace("+00:00", "Z")


def comment(
    source_id: str, parent: str | None = None, thread: str = "t1", **fields: object
) -> ImportedComment:
    values: dict = {
        "author": ALICE,
        "body": f"<p>comment {source_id}</p>",
        "created_at": at(int(source_id.strip("c") or 0)),
        "status": "approved",
        **fields,
    }
    return ImportedComment(source_id, thread, parent, **values)


THREAD = ImportedThread("t1", "https://blog.example/2019/05/hello?utm=x", "post-1", "Hello", at(-60))


def quirky_file() -> Iterator[Record]:
    yield comment("c3", parent="c2", author=BOB)  # a reply before its parent, its parent before the thread
    yield comment("c2", parent="c1")
    yield THREAD
    yield comment("c1", body="<p>Hi <script>alert(1)</script><a href='javascript:x()'>there</a></p>")
    yield comment("c4", thread="missing")
    yield comment("c1", body="<p>the same id again</p>")
    yield comment("c5", parent="c6")  # a cycle
    yield comment("c6", parent="c5")
    yield comment("c7", parent="gone", status="spam")
    yield comment("c8", status="pending", body="*held* by the old system", markup="markdown")
    yield comment("c9", status="deleted")
    yield comment("c10", body="<p> </p>")
    yield ImportedThread("t2", None, None, "No URL", None)
    yield comment("c11", thread="t2")


@pytest.fixture
async def site(db):
    return await make_site(db)


async def run(db, site: str, records, **options) -> object:
    return await Importer(db).run(site, Source.DISQUS, records, **options)


async def test_a_quirky_file_keeps_its_threads_shape_and_says_what_it_left_out(client, db, site):
    summary = await run(db, site, quirky_file())
    assert (summary.threads, summary.comments, summary.comments_created) == (2, 12, 6)
    assert (summary.articles_created, summary.authors_created, summary.already_imported) == (1, 2, 0)
    assert summary.replies_without_parent == 1
    assert summary.skipped == {
        REASONS["thread"]: 1,
        REASONS["duplicate"]: 1,
        REASONS["deep"]: 2,
        REASONS["empty"]: 1,
        REASONS["key"]: 1,
    }
    thread = await read_thread(client, site, "/2019/05/hello")
    assert thread["article"] == {
        **thread["article"],
        "title": "Hello",
        "url": "https://blog.example/2019/05/hello?utm=x",
        "comment_count": 3,
    }
    shape = [
        (c["body_html"], c["author"]["display_name"], c["created_at"]) for c in flatten(thread["comments"])
    ]
    assert shape == [
        ('<p>Hi <a rel="nofollow ugc noopener noreferrer">there</a></p>', "Alice", stamp(1)),
        ("<p>comment c2</p>", "Alice", stamp(2)),
        ("<p>comment c3</p>", "Bob B.", stamp(3)),
    ]
    [c1] = thread["comments"]
    assert [r["parent_id"] for r in flatten(c1["replies"])] == [c1["id"], c1["replies"][0]["id"]]
    statuses = await db.fetch(
        """SELECT c.status, c.parent_id IS NULL AS top, c.deleted_at IS NOT NULL AS deleted
           FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
           WHERE s.slug = $1 ORDER BY c.created_at""",
        site,
    )
    assert [tuple(row) for row in statuses] == [
        ("approved", True, False),
        ("approved", False, False),
        ("approved", False, False),
        ("spam", True, False),  # its parent is not in the file: a top-level comment
        ("pending", True, False),
        ("deleted", True, True),
    ]


async def test_guests_are_named_accounts_that_cannot_sign_in(client, db, site):
    await run(db, site, quirky_file())
    guests = await db.fetch(
        """SELECT u.display_name, u.email, u.password_hash, g.email AS known_email, g.url
           FROM guests g JOIN users u ON u.id = g.user_id JOIN sites s ON s.id = g.site_id
           WHERE s.slug = $1 ORDER BY g.key""",
        site,
    )
    assert [tuple(g) for g in guests] == [
        ("Alice", None, None, "alice@example.org", "https://alice.example"),
        ("Bob B.", None, None, None, None),
    ]
    refused = await client.post(
        "/api/v1/auth/login", json={"login": "alice@example.org", "password": "x" * 12}
    )
    assert refused.status_code == 401


async def test_running_it_again_adds_nothing_and_new_replies_find_their_old_parents(client, db, site):
    await run(db, site, quirky_file())
    before = await db.fetchval("SELECT count(*) FROM comments")
    again = await run(db, site, quirky_file())
    assert (again.comments_created, again.already_imported, again.authors_created) == (0, 6, 0)
    assert await db.fetchval("SELECT count(*) FROM comments") == before
    later = await run(db, site, [THREAD, comment("c20", parent="c3", author=BOB)])
    assert later.comments_created == 1
    thread = await read_thread(client, site, "/2019/05/hello")
    newest = flatten(thread["comments"])[-1]
    assert (newest["body_html"], newest["author"]["display_name"]) == ("<p>comment c20</p>", "Bob B.")
    assert thread["article"]["comment_count"] == 4


async def test_a_dry_run_says_the_same_and_writes_nothing(db, site):
    counts = "SELECT (SELECT count(*) FROM comments), (SELECT count(*) FROM users), (SELECT count(*) FROM articles), (SELECT count(*) FROM events)"
    before = await db.fetchrow(counts)
    dry = await run(db, site, quirky_file(), dry_run=True)
    assert await db.fetchrow(counts) == before
    assert dry.dry_run
    real = await run(db, site, quirky_file())
    assert {**msgspec_fields(dry), "dry_run": False} == msgspec_fields(real)


def msgspec_fields(summary) -> dict:
    return {name: getattr(summary, name) for name in summary.__struct_fields__}


async def test_a_file_that_fails_half_way_leaves_nothing(db, site):
    def breaks() -> Iterator[Record]:
        yield THREAD
        yield comment("c1")
        raise Invalid("The file ends in the middle of a post.")

    before = await db.fetchval("SELECT count(*) FROM comments")
    with pytest.raises(Invalid, match="ends in the middle"):
        await run(db, site, breaks())
    assert await db.fetchval("SELECT count(*) FROM comments") == before
    assert (
        await db.fetchval(
            "SELECT count(*) FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1", site
        )
        == 0
    )


async def test_an_unknown_site_is_said(db):
    with pytest.raises(NotFound, match="no site 'nowhere'"):
        await run(db, "nowhere", quirky_file())


@pytest.mark.parametrize(
    ("mode", "key"),
    [
        (KeyMode.PATH, "/2019/05/hello"),
        (KeyMode.URL, "https://blog.example/2019/05/hello?utm=x"),
        (KeyMode.IDENTIFIER, "post-1"),
    ],
)
async def test_the_key_is_the_urls_path_unless_told_otherwise(client, db, site, mode, key):
    await run(db, site, [THREAD, comment("c1")], key_mode=mode)
    assert [c["body_html"] for c in (await read_thread(client, site, key))["comments"]] == [
        "<p>comment c1</p>"
    ]


async def test_replies_deeper_than_fifty_levels_are_left_out(db, site):
    chain = [THREAD, comment("c0")] + [comment(f"c{n}", parent=f"c{n - 1}") for n in range(1, 53)]
    summary = await run(db, site, chain)
    assert (summary.comments_created, summary.skipped) == (51, {REASONS["deep"]: 2})
    assert (
        await db.fetchval(
            "SELECT max(depth) FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id WHERE s.slug = $1",
            site,
        )
        == 50
    )


async def test_what_readers_were_served_before_is_refreshed_and_held_comments_reach_the_queue(
    client, db, site
):
    empty = await read_thread(client, site, "/2019/05/hello")  # cached before the import
    assert (empty["article"]["comment_count"], empty["comments"]) == (0, [])

    async def count() -> int:
        response = await client.get(f"/api/v1/sites/{site}/counts", params={"article": "/2019/05/hello"})
        assert response.status_code == 200, response.text
        return response.json()["/2019/05/hello"]

    assert await count() == 0  # cached too
    await run(db, site, quirky_file())

    async def refreshed() -> bool:
        return (
            len((await read_thread(client, site, "/2019/05/hello"))["comments"]) == 1 and await count() == 3
        )

    await eventually(refreshed, "the cached thread page and count show the imported comments")
    moderator = await make_moderator(client, db, site)
    items = await moderation_queue(client, site, moderator)
    assert [item["comment"]["body_html"] for item in items] == ["<p><em>held</em> by the old system</p>"]
