"""`commentsvc import disqus|wordpress`: the real-format exports of tests/fixtures/imports (test data
of Isso) and files written here (statuses, hostile XML), through the real command line, against
PostgreSQL; the imported threads as the API serves them."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.builders import eventually, flatten, make_site, read_thread
from tests.html_safety import unsafe_parts
from tests.served import commentsvc, service_environment

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
DISQUS = FIXTURES / "disqus.xml"
WORDPRESS = FIXTURES / "wordpress.xml"
# What a comment of either fixture is, by its source id: parent, author's name, time (UTC), body.
DISQUS_COMMENTS = {
    "4": (None, "peter", "2013-10-10 19:20:29", "..."),  # Disqus's HTML, as it is
    "5": ("4", "user", "2013-10-11 06:51:33", "<p>Hello, World.</p>"),
}
WORDPRESS_COMMENTS = {
    "18/2": (None, "Ohai", "2014-01-14 17:32:12", "<p>Erster!1</p>"),
    "18/6": (None, "Tester", "2014-04-29 15:21:27", "<p>Zweiter.</p>"),
    # Without its local date: the GMT one.
    "18/7": ("18/6", "Tester", "2014-04-29 15:21:35", "<p>Drölfter!</p>"),
    "18/8": ("18/7", "Tester", "2014-04-29 15:21:45", "<p>Yet another reply.</p>"),
    "18/9": ("18/7", "Tester", "2014-04-29 15:21:52", "<p>...</p>"),
    # The GMT date (02:13), not the blog's local one (12:13); its line break kept, as WordPress shows it.
    "18/10": (
        None,
        "Multiline Author",
        "2022-06-06 02:13:14",
        "<p>When you have a comment with multiple lines:<br>WordPress exports it like this.</p>",
    ),
    "18/11": (None, "Letzter :/", "2022-06-07 15:21:56", "<p>...</p>"),
    # Another post's comment 11: WordPress numbers comments blog-wide, this hand-made file per post.
    "4/11": (None, "Anonymous", "2014-04-29 15:21:57", "<p>...</p>"),
}


@pytest.fixture(scope="module")
def env(settings):
    return service_environment(settings)


def run_import(env, source: str, path: Path, site: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return commentsvc("import", source, str(path), "--site", site, *flags, env=env)


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """The summary's counts, by their label."""
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    counts = {}
    for line in result.stdout.splitlines()[1:]:
        label, _, n = line.strip().rpartition(": ")
        if n.isdigit():
            counts[label] = int(n)
    return counts


async def imported(db, site: str) -> dict[str, dict]:
    """The site's imported comments by their source id, with their article, parent's source id,
    author and what readers are shown."""
    rows = await db.fetch(
        """SELECT i.source_id, a.key, a.title, a.url, a.comment_count, p.source_id AS parent,
                  c.depth, c.status, c.body_html, c.created_at, u.display_name, g.email, g.url AS author_url,
                  c.deleted_at
           FROM imported_comments i JOIN sites s ON s.id = i.site_id
           JOIN comments c ON c.id = i.comment_id JOIN articles a ON a.id = c.article_id
           LEFT JOIN imported_comments p ON p.comment_id = c.parent_id
           LEFT JOIN users u ON u.id = c.author_id LEFT JOIN guests g ON g.user_id = u.id
           WHERE s.slug = $1""",
        site,
    )
    return {row["source_id"]: dict(row) for row in rows}


async def footprint(db, site: str) -> dict[str, int]:
    """How many rows an import could have written, for the site and in all."""
    return dict(
        await db.fetchrow(
            """SELECT (SELECT count(*) FROM users) AS users,
                      (SELECT count(*) FROM guests g JOIN sites s ON s.id = g.site_id WHERE s.slug = $1) AS guests,
                      (SELECT count(*) FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1) AS articles,
                      (SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id
                         JOIN sites s ON s.id = a.site_id WHERE s.slug = $1) AS comments,
                      (SELECT count(*) FROM imported_comments i JOIN sites s ON s.id = i.site_id
                         WHERE s.slug = $1) AS imported,
                      (SELECT count(*) FROM moderation_items m JOIN sites s ON s.id = m.site_id
                         WHERE s.slug = $1) AS items,
                      (SELECT count(*) FROM events) AS events""",
            site,
        )
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def assert_shape(rows: dict[str, dict], expected: dict[str, tuple]) -> None:
    assert set(rows) == set(expected)
    for source_id, (parent, name, created_at, body_html) in expected.items():
        row = rows[source_id]
        assert (row["parent"], row["display_name"], row["created_at"], row["body_html"]) == (
            parent,
            name,
            utc(created_at),
            body_html,
        ), source_id
        assert row["depth"] == (0 if parent is None else rows[parent]["depth"] + 1), source_id


# --- the fixtures ---------------------------------------------------------------------------


async def test_a_disqus_export_keeps_its_threads_authors_times_and_statuses(env, db, client):
    site = await make_site(db)
    result = run_import(env, "disqus", DISQUS, site)
    # Thread 3 has no link nor identifier (no article); post 6 names thread 1337, not in the file.
    assert summary(result) == {
        "threads read": 2,
        "articles created": 1,
        "comments read": 3,
        "comments created": 2,
        "already imported": 0,
        "authors (guests) created": 2,
        "skipped": 1,
        "its thread is not in the file": 1,
    }
    rows = await imported(db, site)
    assert_shape(rows, DISQUS_COMMENTS)
    assert {(r["key"], r["title"], r["url"], r["comment_count"]) for r in rows.values()} == {
        ("/", "Hello, World!", "http://example.org/", 2)
    }
    assert {r["status"] for r in rows.values()} == {"approved"}
    # An anonymous Disqus author by name and address, an account by its username: both guests.
    assert {(r["display_name"], r["email"]) for r in rows.values()} == {
        ("peter", "foo@bar.com"),
        ("user", "foo@bar.com"),
    }
    guests = await db.fetch(
        """SELECT u.username, u.password_hash, u.email FROM guests g JOIN users u ON u.id = g.user_id
           JOIN sites s ON s.id = g.site_id WHERE s.slug = $1""",
        site,
    )
    assert len(guests) == 2
    assert all(g["username"].startswith(f"{site}:") and g["email"] is None for g in guests)
    assert all(g["password_hash"] is None for g in guests)  # a guest cannot sign in

    thread = await read_thread(client, site, "/")
    assert thread["article"]["title"] == "Hello, World!" and thread["article"]["comment_count"] == 2
    [top] = thread["comments"]
    assert top["author"]["display_name"] == "peter" and top["created_at"].startswith("2013-10-10T19:20:29")
    [reply] = top["replies"]
    assert reply["author"]["display_name"] == "user" and reply["body_html"] == "<p>Hello, World.</p>"
    assert reply["parent_id"] == top["id"] and reply["depth"] == 1

    verified = commentsvc("counts", "verify", env=env)
    assert verified.returncode == 0, verified.stdout


async def test_a_wordpress_export_keeps_its_threads_authors_times_and_paragraphs(env, db, client):
    site = await make_site(db)
    result = run_import(env, "wordpress", WORDPRESS, site)
    # ?p=4 and ?p=6 have the same path, "/": one article (--key identifier tells them apart).
    assert summary(result) == {
        "threads read": 3,
        "articles created": 2,
        "comments read": 8,
        "comments created": 8,
        "already imported": 0,
        "authors (guests) created": 5,
        "skipped": 0,
    }
    rows = await imported(db, site)
    assert_shape(rows, WORDPRESS_COMMENTS)
    assert {r["key"] for r in rows.values()} == {"/2014/test/", "/"}
    test_post = rows["18/2"]
    assert (test_post["title"], test_post["url"], test_post["comment_count"]) == (
        "Hello, World…",
        "http://example.tld/2014/test/",
        7,
    )
    assert (test_post["email"], test_post["author_url"]) == ("test@example.org", "http://example.tld/")
    # The same name and address are one author: "Tester" wrote four of them.
    assert await db.fetchval(
        """SELECT count(DISTINCT c.author_id) FROM imported_comments i JOIN comments c ON c.id = i.comment_id
           JOIN sites s ON s.id = i.site_id WHERE s.slug = $1 AND i.source_id IN ('18/6', '18/7', '18/8', '18/9')""",
        site,
    ) == 1  # fmt: skip

    thread = await read_thread(client, site, "/2014/test/", sort="oldest")
    assert [(c["author"]["display_name"], c["depth"]) for c in flatten(thread["comments"])] == [
        ("Ohai", 0),
        ("Tester", 0),
        ("Tester", 1),
        ("Tester", 2),
        ("Tester", 2),
        ("Multiline Author", 0),
        ("Letzter :/", 0),
    ]
    verified = commentsvc("counts", "verify", env=env)
    assert verified.returncode == 0, verified.stdout


@pytest.mark.parametrize(
    ("key", "articles"),
    [
        ("identifier", {"18": "Hello, World…", "4": "...", "6": "No comments"}),
        (
            "url",
            {
                "http://example.tld/2014/test/": "Hello, World…",
                "http://example.tld/?p=4": "...",
                "http://example.tld/?p=6": "No comments",
            },
        ),
    ],
)
async def test_the_key_mode_chooses_what_articles_are_keyed_by(env, db, key, articles):
    site = await make_site(db)
    counts = summary(run_import(env, "wordpress", WORDPRESS, site, "--key", key))
    assert counts["articles created"] == 3 and counts["comments created"] == 8
    rows = await db.fetch(
        "SELECT a.key, a.title FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1", site
    )
    assert {row["key"]: row["title"] for row in rows} == articles


async def test_a_disqus_identifier_keys_its_thread(env, db):
    site = await make_site(db)
    summary(run_import(env, "disqus", DISQUS, site, "--key", "identifier"))
    assert {r["key"] for r in (await imported(db, site)).values()} == {"some-id"}


async def test_importing_again_adds_nothing(env, db):
    site = await make_site(db)
    summary(run_import(env, "wordpress", WORDPRESS, site))
    summary(run_import(env, "disqus", DISQUS, site))
    before = await footprint(db, site)
    again = summary(run_import(env, "wordpress", WORDPRESS, site))
    assert again["comments created"] == 0 and again["already imported"] == 8
    assert again["articles created"] == 0 and again["authors (guests) created"] == 0
    assert summary(run_import(env, "disqus", DISQUS, site))["already imported"] == 2
    assert await footprint(db, site) == before


async def test_a_dry_run_says_what_it_would_do_and_writes_nothing(env, db):
    site = await make_site(db)
    before = await footprint(db, site)
    result = run_import(env, "wordpress", WORDPRESS, site, "--dry-run")
    assert summary(result)["comments created"] == 8
    assert result.stdout.splitlines()[0] == f"commentsvc: would import wordpress.xml into {site}:"
    assert result.stdout.splitlines()[-1] == "commentsvc: dry run: nothing written"
    assert await footprint(db, site) == before
    # ... and the real run afterwards still creates everything.
    assert summary(run_import(env, "wordpress", WORDPRESS, site))["comments created"] == 8


# --- statuses, and what a reader leaves out -------------------------------------------------


def disqus_export(threads: str, posts: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        f"{threads}{posts}</disqus>\n"
    )


def disqus_thread(thread_id: str, path: str) -> str:
    return (
        f'<thread dsq:id="{thread_id}"><id>{thread_id}</id><link>https://blog.example{path}</link>'
        f"<title>Article {thread_id}</title><createdAt>2020-01-01T00:00:00Z</createdAt></thread>\n"
    )


def disqus_post(
    post_id: str, thread_id: str, message: str, parent: str | None = None, deleted=False, spam=False
) -> str:
    parent_element = f'<parent dsq:id="{parent}"/>' if parent else ""
    return (
        f'<post dsq:id="{post_id}"><message><![CDATA[{message}]]></message>'
        f"<createdAt>2020-01-02T10:00:{int(post_id) % 60:02}Z</createdAt>"
        f"<isDeleted>{str(deleted).lower()}</isDeleted><isSpam>{str(spam).lower()}</isSpam>"
        f"<author><name>Author {post_id}</name><email>a{post_id}@example.org</email>"
        f"<isAnonymous>true</isAnonymous></author>"
        f'<thread dsq:id="{thread_id}"/>{parent_element}</post>\n'
    )


def wordpress_comment(comment_id: int, approved: str, kind: str = "", parent: int = 0) -> str:
    return f"""<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author><![CDATA[Reader {comment_id}]]></wp:comment_author>
<wp:comment_author_email>r{comment_id}@example.org</wp:comment_author_email>
<wp:comment_date>2021-03-04 05:06:07</wp:comment_date>
<wp:comment_content><![CDATA[Comment {comment_id}

second paragraph]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>
"""


def wordpress_export(post_id: int, comments: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Blog</title>
<item><title>Post {post_id}</title><link>https://blog.example/post-{post_id}/</link>
<wp:post_id>{post_id}</wp:post_id><wp:post_date_gmt>2021-03-01 00:00:00</wp:post_date_gmt>
<wp:post_type>post</wp:post_type>{comments}</item>
<item><title>logo.png</title><link>https://blog.example/logo/</link><wp:post_id>99</wp:post_id>
<wp:post_type>attachment</wp:post_type></item>
</channel></rss>
"""


async def test_wordpress_states_become_statuses_and_pingbacks_are_counted_out(env, db, client, tmp_path):
    site = await make_site(db)
    path = tmp_path / "states.xml"
    path.write_text(
        wordpress_export(
            7,
            wordpress_comment(1, "1")
            + wordpress_comment(2, "0", parent=1)
            + wordpress_comment(3, "spam")
            + wordpress_comment(4, "trash")
            + wordpress_comment(5, "1", kind="pingback")
            + wordpress_comment(6, "1", kind="trackback")
            + wordpress_comment(7, "1", kind="order_note"),
        )
    )
    counts = summary(run_import(env, "wordpress", path, site))
    # The attachment without comments is no article.
    assert counts["threads read"] == 1 and counts["articles created"] == 1
    assert counts["comments read"] == 7 and counts["comments created"] == 4
    assert counts["a pingback or trackback, not a comment"] == 2
    assert counts["skipped"] == 3
    rows = await imported(db, site)
    assert {source_id: row["status"] for source_id, row in rows.items()} == {
        "7/1": "approved",
        "7/2": "pending",
        "7/3": "spam",
        "7/4": "deleted",
    }
    assert rows["7/4"]["deleted_at"] is not None
    assert rows["7/1"]["body_html"] == "<p>Comment 1</p><p>second paragraph</p>"
    assert rows["7/1"]["comment_count"] == 1
    # The comment WordPress held waits in the moderation queue.
    assert await db.fetchval(
        """SELECT count(*) FROM moderation_items m JOIN sites s ON s.id = m.site_id
           WHERE s.slug = $1 AND m.kind = 'held' AND m.decided_at IS NULL""",
        site,
    ) == 1  # fmt: skip
    thread = await read_thread(client, site, "/post-7/")
    assert [c["author"]["display_name"] for c in flatten(thread["comments"])] == ["Reader 1"]


async def test_disqus_spam_and_deleted_posts_keep_their_state(env, db, tmp_path):
    site = await make_site(db)
    path = tmp_path / "states.xml"
    path.write_text(
        disqus_export(
            disqus_thread("10", "/a/"),
            disqus_post("11", "10", "<p>kept</p>")
            + disqus_post("12", "10", "<p>removed</p>", parent="11", deleted=True)
            + disqus_post("13", "10", "<p>buy now</p>", spam=True)
            + disqus_post("14", "10", "<p>both</p>", deleted=True, spam=True),
        )
    )
    summary(run_import(env, "disqus", path, site))
    rows = await imported(db, site)
    assert {source_id: row["status"] for source_id, row in rows.items()} == {
        "11": "approved",
        "12": "deleted",
        "13": "spam",
        "14": "spam",
    }
    assert rows["12"]["parent"] == "11" and rows["11"]["comment_count"] == 1


async def test_posts_before_their_thread_and_parent_are_threaded_all_the_same(env, db, tmp_path):
    site = await make_site(db)
    path = tmp_path / "backwards.xml"
    path.write_text(
        disqus_export("", disqus_post("22", "20", "<p>reply</p>", parent="21"))
        .replace("</disqus>", disqus_post("21", "20", "<p>first</p>") + disqus_thread("20", "/b/"))
        .replace("</disqus>", "")
        + "</disqus>\n"
    )
    summary(run_import(env, "disqus", path, site))
    rows = await imported(db, site)
    assert (rows["22"]["parent"], rows["22"]["depth"], rows["21"]["key"]) == ("21", 1, "/b/")


# --- hostile files --------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE disqus [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + disqus_export(disqus_thread("1", "/laughs/"), disqus_post("2", "1", "&lol9;")).split("\n", 1)[1]

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE disqus [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
""" + disqus_export(disqus_thread("1", "/xxe/"), disqus_post("2", "1", "x")).split("\n", 1)[1].replace(
    "<![CDATA[x]]>", "&secret;"
)


def truncated() -> str:
    """Six thousand good posts (more than the importer's batch of 5,000, so some are already
    staged when the file breaks), then the file stops in the middle of a post."""
    posts = "".join(disqus_post(str(n), "1", f"<p>post {n}</p>") for n in range(2, 6002))
    whole = disqus_export(disqus_thread("1", "/cut/"), posts)
    return whole[: whole.rindex("<isSpam>")]


@pytest.mark.parametrize(
    ("source", "content", "sentence"),
    [
        ("disqus", BILLION_LAUGHS, "laughs.xml is refused: it declares entities (a <!DOCTYPE>)"),
        ("disqus", EXTERNAL_ENTITY, "xxe.xml is refused: it declares entities (a <!DOCTYPE>)"),
        ("disqus", truncated, "cut.xml is not a Disqus export: it is not well-formed XML (line 6003:"),
        ("disqus", WORDPRESS, "wrong.xml is not a Disqus export: it looks like a WordPress export (WXR)"),
        ("wordpress", DISQUS, "wrong.xml is not a WordPress export (WXR): it looks like a Disqus export"),
        ("disqus", '{"comments": []}', "json.xml is not a Disqus export: it is not well-formed XML (line 1:"),
        (
            "disqus",
            lambda: disqus_export(disqus_thread("1", "/big/"), disqus_post("2", "1", "A" * 20_000_000)),
            "big.xml is refused: line 4: a text longer than 10 MB, which no comment is",
        ),
    ],
    ids=["billion-laughs", "external-entity", "truncated", "wordpress-as-disqus", "disqus-as-wordpress",
         "json", "20-MB-body"],
)  # fmt: skip
async def test_a_hostile_or_broken_file_is_refused_in_one_sentence_and_nothing_is_written(
    env, db, tmp_path, source, content, sentence
):
    site = await make_site(db)
    name = sentence.split(" ", 1)[0]
    path = tmp_path / name
    if isinstance(content, Path):
        path.write_bytes(content.read_bytes())
    else:
        path.write_text(content() if callable(content) else content)
    before = await footprint(db, site)
    result = run_import(env, source, path, site)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"commentsvc: {sentence}") and line.endswith("; nothing was imported."), line
    assert "root:" not in line  # /etc/passwd was never read into anything
    assert await footprint(db, site) == before


async def test_scripts_in_imported_html_are_neutralised_and_overlong_bodies_left_out(
    env, db, client, tmp_path
):
    site = await make_site(db)
    hostile = (
        '<p>hi<script>alert(1)</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">click</a> <a href="https://ok.example/" onclick="x()">ok</a></p>'
        "<iframe src=https://evil.example/></iframe><style>body{display:none}</style>"
    )
    path = tmp_path / "scripts.xml"
    path.write_text(
        disqus_export(
            disqus_thread("1", "/scripts/"),
            disqus_post("2", "1", hostile)
            + disqus_post("3", "1", "<p>" + "long " * 2_500 + "</p>")
            + disqus_post("4", "1", "<script>only a script</script>"),
        )
    )
    counts = summary(run_import(env, "disqus", path, site))
    assert counts["comments created"] == 1
    assert counts["body longer than 10000 characters"] == 1 and counts["empty body"] == 1
    [row] = (await imported(db, site)).values()
    assert unsafe_parts(row["body_html"]) == []
    assert "alert" not in row["body_html"] and "display:none" not in row["body_html"]
    assert 'href="https://ok.example/"' in row["body_html"]
    [served] = (await read_thread(client, site, "/scripts/"))["comments"]
    assert unsafe_parts(served["body_html"]) == [] and "click" in served["body_html"]


# --- readers see it -------------------------------------------------------------------------


async def test_a_thread_page_cached_before_the_import_shows_the_imported_comments(env, db, client):
    site = await make_site(db)
    before = await read_thread(client, site, "/2014/test/")  # now in the cache, empty
    assert before["comments"] == [] and before["article"]["comment_count"] == 0
    summary(run_import(env, "wordpress", WORDPRESS, site))

    async def shown() -> bool:
        thread = await read_thread(client, site, "/2014/test/")
        return len(flatten(thread["comments"])) == 7 and thread["article"]["comment_count"] == 7

    # Delivered by the service's dispatcher once the importing process has had its grace to.
    await eventually(shown, "the imported comments on the cached page", seconds=40)
    counts = await client.get(f"/api/v1/sites/{site}/counts", params={"article": "/2014/test/"})
    assert counts.json() == {"/2014/test/": 7}


# --- the command line -----------------------------------------------------------------------


async def test_unknown_site_or_missing_file_is_one_sentence(env, db, tmp_path):
    missing = run_import(env, "disqus", tmp_path / "nope.xml", await make_site(db))
    assert (missing.returncode, missing.stderr) == (
        2,
        f"commentsvc: there is no file '{tmp_path / 'nope.xml'}' to import.\n",
    )
    no_site = run_import(env, "disqus", DISQUS, "no-such-site")
    assert (no_site.returncode, no_site.stderr) == (1, "commentsvc: There is no site 'no-such-site'.\n")


async def test_a_terminal_sees_the_progress_and_a_pipe_only_the_summary(env, db):
    site = await make_site(db)
    piped = run_import(env, "wordpress", WORDPRESS, site, "--dry-run")
    assert piped.stderr == "" and "reading wordpress.xml" not in piped.stdout
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "commentsvc.cli", "import", "wordpress", str(WORDPRESS), "--site", site],
            env={**env, "TERM": "xterm", "COLUMNS": "120"},
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
        )
        os.close(terminal)
        shown = b""
        while chunk := _read(controller):
            shown += chunk
        stdout, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
    assert process.returncode == 0
    # The bar: the file being read, how much of it (all of it, by the end), the records read.
    assert b"reading wordpress.xml" in shown and b"100%" in shown and b"records" in shown
    assert "comments created: 8" in stdout


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end closed: the command ended
        return b""
