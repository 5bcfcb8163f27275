"""`commentsvc export` and `commentsvc restore`: a site built through the API (threads, edits,
votes, reports, held, rejected, spam and deleted comments, a ban, a lock, a description, an
imported guest) exported, plain and gzipped, and restored into a new site serves every reader and
moderator the same; whose comments are whose on another instance; files refused with nothing
written; an export's memory does not grow with the site."""

from __future__ import annotations

import gzip
import json
import stat
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commentsvc.domain.imports import Importer
from commentsvc.domain.roles import grant
from commentsvc.model.imports import ImportedAuthor, ImportedComment, ImportedThread, Source
from tests.builders import (
    Reader,
    decide,
    eventually,
    flatten,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    unique_name,
)
from tests.served import commentsvc, service_environment

IMPORTED_ARTICLE = "/2019/imported"
GHOST = ImportedAuthor("ghost", "Le Fantôme", "ghost@example.org", None)


@dataclass
class Rich:
    site: str
    moderator: Reader
    readers: list[Reader]
    articles: list[str]
    plain: Path
    zipped: Path


@pytest.fixture(scope="module")
def env(settings):
    return service_environment(settings)


async def _queued(client, site: str, moderator: Reader, comment_id: int) -> dict:
    items = await moderation_queue(client, site, moderator, 50)
    return next(item for item in items if item["comment"]["id"] == comment_id)


async def _ok(response) -> dict | None:
    assert response.is_success, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
async def rich(client, db, env, tmp_path_factory) -> Rich:
    """A site with a bit of everything, and its export, plain and gzipped."""
    site = await make_site(db, blocked_words=["arnaque"], edit_window_minutes=600, max_depth=3)
    moderator = await make_moderator(client, db, site)
    alice, bob, carol, dave = [await register(client) for _ in range(4)]
    first, second, described = (unique_name("article") for _ in range(3))
    mod = moderator.auth

    top = await post_comment(
        client, alice, site, first, "Le **premier** avis, avec [un lien](https://a.example)"
    )
    reply = await post_comment(client, bob, site, first, "Une réponse", parent_id=top["id"])
    deeper = await post_comment(client, carol, site, first, "Réponse à la réponse", parent_id=reply["id"])
    deepest = await post_comment(client, alice, site, first, "Plus profond encore", parent_id=deeper["id"])
    await post_comment(client, dave, site, first, "Au-delà de la profondeur", parent_id=deepest["id"])
    await _ok(
        await client.patch(
            f"/api/v1/comments/{top['id']}", json={"body": "Le premier avis, corrigé"}, headers=alice.auth
        )
    )
    for voter, comment, value in (
        (bob, top, 1), (carol, top, 1), (dave, top, -1), (alice, reply, -1), (moderator, deeper, 1),
    ):  # fmt: skip
        await _ok(
            await client.put(
                f"/api/v1/comments/{comment['id']}/vote", json={"value": value}, headers=voter.auth
            )
        )

    # A report decided, and one still open.
    await _ok(
        await client.post(
            f"/api/v1/comments/{reply['id']}/reports",
            json={"reason": "off_topic", "note": "hors sujet"},
            headers=dave.auth,
        )
    )
    item = await _queued(client, site, moderator, reply["id"])
    await decide(client, moderator, item["item_id"], action="keep", reason="critique légitime")
    await _ok(
        await client.post(
            f"/api/v1/comments/{deepest['id']}/reports", json={"reason": "abuse"}, headers=carol.auth
        )
    )

    # Held: one waits, one rejected with a reason, one marked as spam.
    waiting = await post_comment(client, bob, site, second, "Une arnaque, vraiment ?")
    rejected = await post_comment(client, carol, site, second, "C'est une arnaque totale")
    spam = await post_comment(client, dave, site, second, "arnaque arnaque arnaque")
    assert {waiting["status"], rejected["status"], spam["status"]} == {"pending"}
    for comment, action, reason in (
        (rejected, "reject", "Propos injurieux (règle 2)."),
        (spam, "spam", None),
    ):
        item = await _queued(client, site, moderator, comment["id"])
        await decide(client, moderator, item["item_id"], action=action, reason=reason)
    appeal = {"text": "Ce n'était pas une insulte."}
    await _ok(await client.post(f"/api/v1/comments/{rejected['id']}/appeal", json=appeal, headers=carol.auth))

    # Deleted: with a reply (a placeholder stays), without (gone), and by a moderator.
    parent = await post_comment(client, bob, site, second, "Bientôt supprimé")
    await post_comment(client, carol, site, second, "Réponse qui reste", parent_id=parent["id"])
    alone = await post_comment(client, alice, site, second, "Supprimé sans réponse")
    removed = await post_comment(client, dave, site, second, "Retiré par un modérateur")
    for comment, who in ((parent, bob), (alone, alice), (removed, moderator)):
        await _ok(await client.delete(f"/api/v1/comments/{comment['id']}", headers=who.auth))

    # A ban, a lock, an article described before any comment.
    await _ok(
        await client.post(
            f"/api/v1/sites/{site}/bans",
            json={"user_id": dave.id, "reason": "insultes", "days": 7},
            headers=mod,
        )
    )
    await _ok(
        await client.put(
            f"/api/v1/sites/{site}/articles/lock", json={"article": second, "locked": True}, headers=mod
        )
    )
    await _ok(await client.put(
        f"/api/v1/sites/{site}/articles",
        json={"article": described, "article_title": "Décrit", "article_url": "https://news.example/decrit"},
        headers=mod,
    ))  # fmt: skip

    # A site owner's change, logged with what it changed.
    await grant(db, alice.username, "owner", site)
    await _ok(
        await client.patch(f"/api/v1/sites/{site}/settings", json={"trust_after": 4}, headers=alice.auth)
    )

    # An imported author without an account (a guest), and a held imported comment.
    at = datetime(2019, 5, 1, 12, tzinfo=UTC)
    await Importer(db).run(site, Source.DISQUS, [
        ImportedThread("t1", f"https://news.example{IMPORTED_ARTICLE}", "t1", "Importé", at),
        ImportedComment("c1", "t1", None, GHOST, "<p>Un <b>vieux</b> commentaire</p>", at, "approved"),
        ImportedComment("c2", "t1", "c1", None, "<p>Anonyme</p>", at, "approved"),
        ImportedComment("c3", "t1", None, GHOST, "<p>En attente</p>", at, "pending"),
    ])  # fmt: skip

    folder = tmp_path_factory.mktemp("export")
    plain, zipped = folder / "site.jsonl", folder / "site.jsonl.gz"
    for output in (plain, zipped):
        exported = commentsvc("export", "--site", site, "--output", str(output), env=env)
        assert exported.returncode == 0, exported.stderr
    return Rich(
        site,
        moderator,
        [alice, bob, carol, dave],
        [first, second, described, IMPORTED_ARTICLE],
        plain,
        zipped,
    )


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


async def _ranks(db, site: str) -> dict[int, int]:
    """Each of the site's comment ids by its rank: a restore keeps their order, not their values."""
    ids = await db.fetch(
        "SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id "
        "WHERE s.slug = $1 ORDER BY c.id",
        site,
    )
    return {row["id"]: rank for rank, row in enumerate(ids)}


def _author(author: dict | None) -> dict | None:
    if author is None or ":" not in author["username"]:
        return author
    return {"guest": author["display_name"]}  # a guest is made anew, named as before


def _comment(comment: dict, ranks: dict[int, int]) -> dict:
    shown = {key: value for key, value in comment.items() if key != "replies_cursor"}
    shown["id"] = ranks[comment["id"]]
    shown["parent_id"] = ranks.get(comment["parent_id"])
    shown["author"] = _author(comment["author"])
    shown["replies"] = [_comment(reply, ranks) for reply in comment["replies"]]
    return shown


async def _served(client, db, site: str, rich: Rich) -> dict:
    """Everything the site serves its readers and moderators, ids aside."""
    ranks = await _ranks(db, site)
    viewers: list[Reader | None] = [None, *rich.readers, rich.moderator]
    threads, histories = {}, {}
    for article in rich.articles:
        for n, viewer in enumerate(viewers):
            for sort in ("oldest", "top"):
                thread = await read_thread(client, site, article, viewer, sort=sort)
                threads[article, n, sort] = {
                    "article": thread["article"],
                    "comments": [_comment(c, ranks) for c in thread["comments"]],
                }
        for comment in flatten((await read_thread(client, site, article, rich.moderator))["comments"]):
            if comment["edited_at"] is not None:
                history = await client.get(
                    f"/api/v1/comments/{comment['id']}/history", headers=rich.moderator.auth
                )
                histories[ranks[comment["id"]]] = history.json()
    counts = await client.get(f"/api/v1/sites/{site}/counts", params=[("article", a) for a in rich.articles])
    log = await client.get(
        f"/api/v1/sites/{site}/moderation/log", params={"limit": 100}, headers=rich.moderator.auth
    )
    entries = [
        {**entry, "id": None, "comment_id": ranks.get(entry["comment_id"])} for entry in log.json()["entries"]
    ]
    items = [
        {**item, "item_id": None, "claimed_until": None, "comment": _comment(item["comment"], ranks)}
        for item in await moderation_queue(client, site, rich.moderator, 50)
    ]
    # Who a row names: an account as itself, a guest (made anew) by its name.
    who = "CASE WHEN u.username LIKE '%:%' THEN 'guest ' || u.display_name ELSE u.username END"
    rows = {
        table: [dict(row) for row in await db.fetch(
            f"""SELECT {who} AS who, {columns} FROM {table} t JOIN users u ON u.id = t.user_id
                WHERE t.site_id = (SELECT id FROM sites WHERE slug = $1) ORDER BY 1, 2""",
            site,
        )]
        for table, columns in (
            ("bans", "t.until, t.reason, t.banned_by, t.created_at"),
            ("author_standing", "t.approved, t.rejected"),
            ("user_roles", "t.role, t.granted_at"),
        )
    }  # fmt: skip
    settings = await db.fetchrow(
        "SELECT moderation, trust_after, blocked_words, max_depth, edit_window_minutes FROM sites WHERE slug = $1",
        site,
    )
    return {
        "threads": threads,
        "counts": counts.json(),
        "log": entries,
        "queue": items,
        "rows": rows,
        "settings": dict(settings),
        "histories": histories,
    }


def _restore(env, path: Path, site: str) -> str:
    restored = commentsvc("restore", str(path), "--site", site, env=env)
    assert restored.returncode == 0, restored.stderr
    return restored.stdout


@pytest.mark.parametrize("kind", ["plain", "gzipped"])
async def test_a_restored_site_serves_everyone_what_the_exported_one_did(client, db, env, rich, kind):
    target = await make_site(db)
    before = await read_thread(
        client, target, rich.articles[0]
    )  # an empty page, cached for anonymous readers
    assert before["comments"] == []
    said = _restore(env, rich.plain if kind == "plain" else rich.zipped, target)
    comments = len(await _ranks(db, rich.site))
    assert f"4 articles, {comments} comments, 5 votes, 2 reports" in said and "1 appeal;" in said
    assert "authors: 5 accounts of this instance, 1 guest; 2 roles given" in said

    # The article.imported events reach the running service: the cached empty page is stale.
    async def served_again() -> bool:
        return bool((await read_thread(client, target, rich.articles[0]))["comments"])

    await eventually(served_again, "the restored thread served to anonymous readers")
    served = await _served(client, db, target, rich)
    assert served == await _served(client, db, rich.site, rich)
    # Not vacuously: an edit's earlier text, held and reported items waiting (the appeal waits for
    # another moderator than the one who removed the comment), and the appeal against its removal.
    assert served["histories"] and {item["kind"] for item in served["queue"]} == {"held", "reported"}
    appeal = await db.fetchrow(
        """SELECT ap.text, i.kind, i.decision, l.action FROM appeals ap
           JOIN moderation_items i ON i.id = ap.item_id JOIN audit_log l ON l.id = ap.removal_id
           WHERE i.site_id = (SELECT id FROM sites WHERE slug = $1)""",
        target,
    )
    assert dict(appeal) == {
        "text": "Ce n'était pas une insulte.",
        "kind": "appeal",
        "decision": None,
        "action": "reject",
    }
    verified = commentsvc("counts", "verify", env=env)
    restored_ids = await db.fetch(
        "SELECT a.id FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1", target
    )
    assert not any(f"article {row['id']} " in verified.stdout for row in restored_ids), verified.stdout


async def test_the_export_is_private_documented_json_lines_and_the_same_on_stdout(db, env, rich):
    assert stat.S_IMODE(rich.plain.stat().st_mode) == 0o600
    assert stat.S_IMODE(rich.zipped.stat().st_mode) == 0o600
    records = _lines(rich.plain)
    assert (
        gzip.decompress(rich.zipped.read_bytes()).decode().splitlines()[1:]
        == rich.plain.read_text().splitlines()[1:]
    )
    header, end = records[0], records[-1]
    assert (header["type"], header["format"], header["version"], header["site"]) == (
        "header",
        "commentsvc-export",
        1,
        rich.site,
    )
    assert header["settings"]["blocked_words"] == ["arnaque"] and header["settings"]["max_depth"] == 3
    assert end == {"type": "end", "records": len(records) - 1}
    kinds = [record["type"] for record in records]
    assert kinds == sorted(
        kinds,
        key=[
            "header",
            "user",
            "article",
            "comment",
            "version",
            "vote",
            "report",
            "moderation_item",
            "ban",
            "standing",
            "audit",
            "appeal",
            "role",
            "end",
        ].index,
    )
    users = {record["username"]: record for record in records if record["type"] == "user"}
    alice = rich.readers[0]
    assert users[alice.username]["email"] == alice.email and users[alice.username]["guest"] is False
    [ghost] = [user for user in users.values() if user["guest"]]
    assert (ghost["display_name"], ghost["email"]) == ("Le Fantôme", "ghost@example.org")
    [owners_change] = [r for r in records if r["type"] == "audit" and r["action"] == "settings"]
    assert "trust_after" in owners_change["change"]
    on_stdout = commentsvc("export", "--site", rich.site, env=env)
    assert on_stdout.returncode == 0, on_stdout.stderr
    assert on_stdout.stdout.splitlines()[1:] == rich.plain.read_text().splitlines()[1:]
    comments = sum(record["type"] == "comment" for record in records)
    assert f"{comments} comments, 6 users" in on_stdout.stderr and "personal data" in on_stdout.stderr


async def test_authors_are_accounts_only_by_a_verified_address_or_their_username_and_address(
    client, db, env, rich, tmp_path
):
    alice, bob, carol, _ = rich.readers
    await db.execute("UPDATE users SET email_verified = true WHERE id = $1", bob.id)
    records = _lines(rich.plain)
    for record in records:
        if record.get("username") == alice.username:  # the same username, another address
            record["email"] = "not-alice@example.org"
        elif record.get("username") in (bob.username, carol.username):  # the same address, another username
            record["username"] = unique_name("renamed")
        elif record.get("username") == rich.moderator.username:
            record["email"] = "not-the-moderator@example.org"
    target = await make_site(db)
    said = _restore(env, _write(tmp_path / "changed.jsonl", records), target)
    assert "0 roles given, 2 not (their holders have no account here" in said
    authors = {
        row["body"]: (row["author_id"], row["username"], row["display_name"], row["key"], row["email"])
        for row in await db.fetch(
            """SELECT c.body, c.author_id, u.username, u.display_name, g.key, g.email FROM comments c
               JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id
               LEFT JOIN users u ON u.id = c.author_id LEFT JOIN guests g ON g.user_id = c.author_id
               WHERE s.slug = $1""",
            target,
        )
    }
    alice_as_guest = authors["Plus profond encore"]
    assert alice_as_guest[0] != alice.id and alice_as_guest[1].startswith(f"{target}:")
    assert alice_as_guest[3:] == (alice.username, "not-alice@example.org")  # claimable by that address
    assert authors["Une réponse"][0] == bob.id  # verified: the address says who it is
    assert authors["Réponse à la réponse"][0] != carol.id  # unverified, and another username: a guest
    await db.execute("UPDATE users SET email_verified = false WHERE id = $1", bob.id)


def _comment_line(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith('{"type":"comment"'))


def _with(lines: list[str], index: int, replacement: str) -> str:
    return "".join(lines[:index] + [replacement] + lines[index + 1 :])


def _cut_mid_line(lines: list[str]) -> str:
    text = "".join(lines)
    return text[: len(text) // 2]


def _garbled(lines: list[str]) -> str:
    return _with(lines, _comment_line(lines), '{"type":"comment","id":"x"}\n')


def _binary(lines: list[str]) -> str:
    return _with(lines, 3, "\x00\x01 pas du JSON\n")


def _without_users(lines: list[str]) -> str:
    """The users left out, the end counting what is left: every comment names an unknown author."""
    kept = [line for line in lines[:-1] if not line.startswith('{"type":"user"')]
    return "".join(kept) + json.dumps({"type": "end", "records": len(kept)}) + "\n"


def _unknown_status(lines: list[str]) -> str:
    i = _comment_line(lines)
    return _with(lines, i, lines[i].replace('"status":"approved"', '"status":"archived"'))


def _too_deep(lines: list[str]) -> str:
    i = _comment_line(lines)
    return _with(lines, i, lines[i].replace('"depth":0', '"depth":70000'))


def _other_version(lines: list[str]) -> str:
    return _with(lines, 0, lines[0].replace('"version":1', '"version":2'))


REFUSED = {
    "cut mid-line": (_cut_mid_line, "line"),
    "cut at a line's end": (lambda lines: "".join(lines[:-1]), "cut short"),
    "garbled line": (_garbled, "damaged"),
    "binary junk": (_binary, "damaged"),
    "users left out": (_without_users, "lacks what its records name (a comment's author, a vote's voter"),
    "unknown status": (_unknown_status, "cannot be restored as they are"),
    "a value out of range": (_too_deep, "cannot be kept"),
    "another version": (_other_version, "format version 2"),
    "not an export": (lambda _: '<?xml version="1.0"?>\n<disqus></disqus>\n', "not a commentsvc export"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_damaged_or_foreign_file_is_refused_with_one_sentence_and_nothing_written(
    db, env, rich, tmp_path, case
):
    change, sentence = REFUSED[case]
    path = tmp_path / "bad.jsonl"
    path.write_text(change(rich.plain.read_text().splitlines(keepends=True)))
    target = await make_site(db)
    users_before = await db.fetchval("SELECT count(*) FROM users")
    refused = commentsvc("restore", str(path), "--site", target, env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert sentence in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    await _nothing_written(db, target)
    assert await db.fetchval("SELECT count(*) FROM users") == users_before


async def _nothing_written(db, site: str) -> None:
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM articles WHERE site_id = s.id) AS articles,
                  (SELECT count(*) FROM guests WHERE site_id = s.id) AS guests, s.blocked_words
           FROM sites s WHERE s.slug = $1""",
        site,
    )
    assert dict(row) == {"articles": 0, "guests": 0, "blocked_words": []}


async def test_a_truncated_gzip_file_is_refused(db, env, rich, tmp_path):
    data = rich.zipped.read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    target = await make_site(db)
    refused = commentsvc("restore", str(path), "--site", target, env=env)
    assert refused.returncode == 2 and "damaged or truncated gzip" in refused.stderr, refused.stderr
    await _nothing_written(db, target)


async def test_restoring_into_a_site_with_articles_is_refused_and_changes_nothing(client, db, env, rich):
    target = await make_site(db)
    reader = await register(client)
    await post_comment(client, reader, target, "already-here", "Déjà là")
    refused = commentsvc("restore", str(rich.plain), "--site", target, env=env)
    assert refused.returncode == 1
    assert f"The site {target!r} already has articles" in refused.stderr
    assert (
        await db.fetchval(
            "SELECT count(*) FROM articles a JOIN sites s ON s.id = a.site_id WHERE s.slug = $1", target
        )
        == 1
    )
    missing = commentsvc("restore", str(rich.plain), "--site", "no-such-site", env=env)
    assert missing.returncode == 1 and "no site named 'no-such-site'" in missing.stderr


# The RSS of a command, as the process itself measured it at its end (kB).
MEASURED = (
    "import resource, sys\n"
    "from commentsvc.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _peak_kb(env, *args: str) -> int:
    import subprocess

    ran = subprocess.run(
        [sys.executable, "-c", MEASURED, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr
    return int(ran.stderr.split("maxrss ")[1].split()[0])


async def _seed(client, db, comments: int) -> str:
    """A site of ``comments`` comments of 2,000 characters over 100 articles, written by SQL."""
    site = await make_site(db)
    author = await register(client)
    await db.execute(
        """WITH s AS (SELECT id FROM sites WHERE slug = $1),
                made AS (INSERT INTO articles (site_id, key) SELECT s.id, 'a' || n FROM s, generate_series(1, 100) n
                         RETURNING id)
           INSERT INTO comments (article_id, depth, status, author_id, body, body_html)
           SELECT (SELECT min(id) FROM made) + n % 100, 0, 'approved', $2, repeat('x', 1990) || n,
                  '<p>' || repeat('x', 1990) || n || '</p>'
           FROM generate_series(1, $3) n""",
        site,
        author.id,
        comments,
    )
    return site


async def test_export_and_restore_memory_does_not_grow_with_the_site(client, db, env, tmp_path):
    small, large = await _seed(client, db, 1_000), await _seed(client, db, 20_000)
    sites, peaks = [small, large], {}
    try:
        for site in (small, large):
            output = tmp_path / f"{site}.jsonl.gz"
            sites.append(await make_site(db))
            peaks["export", site] = _peak_kb(env, "export", "--site", site, "--output", str(output))
            peaks["restore", site] = _peak_kb(env, "restore", str(output), "--site", sites[-1])
    finally:
        # 160 MB of text would slow every later test that reads the whole database.
        await db.execute("DELETE FROM sites WHERE slug = ANY($1::text[])", sites)
    # Holding the large site's 80 MB of text would show; a batch at a time does not.
    assert peaks["export", large] - peaks["export", small] < 20_000, peaks
    assert peaks["restore", large] - peaks["restore", small] < 40_000, peaks
