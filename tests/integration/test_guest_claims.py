"""A reader who verifies an address claims the guests imported under it: their comments, votes and
record show the reader's account, on every site, and the cached thread pages say so at once."""

from __future__ import annotations

import json
from pathlib import Path

from commentsvc.domain.imports import Importer
from commentsvc.imports import READERS
from commentsvc.model.imports import Source
from commentsvc.store import guests
from tests.account_mail import link_in, mail_about
from tests.builders import make_site, read_thread, register, unique_name
from tests.imported import imported

ARTICLE = "/2024/retrouvailles/"
VERIFY = "Confirmez votre adresse e-mail"


def backup(directory: Path, email: str, name: str = "Alice") -> Path:
    """A Remark42 backup (see test_remark42_import.py) with a comment by a user known by ``email``,
    and a reply by another one known by no address."""
    user, other = unique_name("github"), unique_name("google")
    url = f"https://blog.example{ARTICLE}"

    def comment(number: int, who: str, author: str, text: str, parent: str = "") -> dict:
        return {
            "id": f"{user}-{number}", "pid": parent, "text": f"<p>{text}</p>", "user": {"name": author, "id": who},
            "locator": {"site": "blog", "url": url}, "time": f"2024-05-0{number}T12:00:00Z", "title": "Retrouvailles",
        }  # fmt: skip

    lines = [
        {"version": 1, "users": [{"id": user, "details": {"user_id": user, "email": email}}], "posts": []},
        comment(1, user, name, "Me voici"),
        comment(2, other, "Bob", "Te voilà", parent=f"{user}-1"),
    ]
    path = directory / f"{user}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def import_backup(db, site: str, path: Path) -> None:
    summary = await Importer(db).run(site, Source.REMARK42, READERS[Source.REMARK42](path))
    assert summary.comments_created == 2


async def shown_authors(client, site: str) -> list[tuple[int, str]]:
    """Each comment's author as an anonymous reader is served the thread (from the cache)."""
    thread = await read_thread(client, site, ARTICLE)
    top = thread["comments"]
    return [(c["author"]["id"], c["author"]["display_name"]) for c in (top[0], *top[0]["replies"])]


async def verify(client, mailbox, email: str, subject: str = VERIFY) -> None:
    token = link_in(await mail_about(mailbox, email, subject)).token
    assert (await client.post("/api/v1/auth/email/verify", json={"token": token})).status_code == 204


async def test_a_reader_who_verifies_a_guests_address_claims_their_comments(client, db, mailbox, tmp_path):
    address = f"{unique_name('alice')}@example.org"
    site = await make_site(db)
    await import_backup(db, site, backup(tmp_path, address.upper()))  # the case of an address is no matter
    guest, bob = await shown_authors(client, site)
    assert guest[1] == "Alice"

    reader = await register(client, email=address)
    await verify(client, mailbox, address)

    # Served at once: the claim is made with the verification, and the cached page refreshed.
    assert await shown_authors(client, site) == [(reader.id, reader.username), bob]
    claimed = await db.fetchrow("SELECT claimed_by, claimed_at FROM guests WHERE user_id = $1", guest[0])
    assert claimed["claimed_by"] == reader.id and claimed["claimed_at"] is not None
    assert sorted(row.claimed for row in (await imported(db, site)).values()) == [False, True]  # not Bob's
    # Its record on the site is the guest's: one comment published.
    standing = await db.fetchrow(
        "SELECT approved, rejected FROM author_standing st JOIN sites s ON s.id = st.site_id "
        "WHERE s.slug = $1 AND st.user_id = $2",
        site,
        reader.id,
    )
    assert (standing["approved"], standing["rejected"]) == (1, 0)
    # Claiming again claims nothing more.
    assert await guests.claim(db, reader.id, address) == []


async def test_an_address_not_verified_claims_nothing(client, db, mailbox, tmp_path):
    address = f"{unique_name('alice')}@example.org"
    site = await make_site(db)
    await import_backup(db, site, backup(tmp_path, address))
    before = await shown_authors(client, site)
    reader = await register(client, email=address)
    await mail_about(mailbox, address, VERIFY)  # its registration's events are all delivered
    assert await shown_authors(client, site) == before
    assert before[0][0] != reader.id
    assert (
        await db.fetchval(
            "SELECT count(*) FROM guests WHERE lower(email) = $1 AND claimed_by IS NOT NULL", address
        )
        == 0
    )
    # Nor does the address verified by another account than the one that holds it now.
    assert await guests.claim(db, reader.id, address) == []


async def test_the_guests_of_every_site_with_that_address_are_claimed(client, db, mailbox, tmp_path):
    address = f"{unique_name('alice')}@example.org"
    sites = [await make_site(db), await make_site(db)]
    for site in sites:
        await import_backup(db, site, backup(tmp_path, address))
    reader = await register(client, email=address)
    await verify(client, mailbox, address)
    for site in sites:
        assert (await shown_authors(client, site))[0] == (reader.id, reader.username)


async def test_a_reader_who_confirms_a_guests_address_as_their_new_one_claims_it(
    client, db, mailbox, tmp_path
):
    address = f"{unique_name('alice')}@example.org"
    site = await make_site(db)
    await import_backup(db, site, backup(tmp_path, address))
    reader = await register(client)
    response = await client.patch("/api/v1/me", json={"email": address}, headers=reader.auth)
    assert response.status_code == 200, response.text
    assert (await shown_authors(client, site))[0][0] != reader.id  # asked for, not yet confirmed
    await verify(client, mailbox, address, "Confirmez votre nouvelle adresse e-mail")
    assert (await shown_authors(client, site))[0] == (reader.id, reader.username)


async def test_a_claimed_guests_votes_are_the_readers_one_vote_per_comment(client, db, mailbox, tmp_path):
    address = f"{unique_name('alice')}@example.org"
    site = await make_site(db)
    await import_backup(db, site, backup(tmp_path, address))
    other = await make_site(db)
    await import_backup(db, other, backup(tmp_path, f"{unique_name('carol')}@example.org"))
    mine, bobs = sorted((await imported(db, site)).keys())  # its "-1", then its "-2"
    theirs, _ = sorted((await imported(db, other)).keys())
    comment_of = {
        source_id: await db.fetchval(
            "SELECT comment_id FROM imported_comments WHERE source_id = $1", source_id
        )
        for source_id in (mine, bobs, theirs)
    }
    guest_id = await db.fetchval("SELECT author_id FROM comments WHERE id = $1", comment_of[mine])
    # A guest's votes come with a restored site; the reader votes too, before claiming the guest.
    await db.executemany(
        "INSERT INTO votes (comment_id, user_id, value) VALUES ($1, $2, $3)",
        [(comment_of[bobs], guest_id, 1), (comment_of[theirs], guest_id, -1)],
    )
    reader = await register(client, email=address)
    vote = await client.put(
        f"/api/v1/comments/{comment_of[bobs]}/vote", json={"value": 1}, headers=reader.auth
    )
    assert vote.json() == {"score": 2}
    await verify(client, mailbox, address)
    votes = await db.fetch(
        "SELECT comment_id, user_id, value FROM votes WHERE user_id = ANY($1::bigint[])",
        [guest_id, reader.id],
    )
    assert sorted((v["comment_id"], v["user_id"], v["value"]) for v in votes) == sorted(
        [(comment_of[bobs], reader.id, 1), (comment_of[theirs], reader.id, -1)]
    )
    scores = await db.fetch(
        "SELECT id, score FROM comments WHERE id = ANY($1::bigint[])", list(comment_of.values())
    )
    assert {row["id"]: row["score"] for row in scores} == {
        comment_of[mine]: 0,
        comment_of[bobs]: 1,
        comment_of[theirs]: -1,
    }


async def test_comments_imported_after_the_claim_show_the_reader(client, db, mailbox, tmp_path):
    address = f"{unique_name('alice')}@example.org"
    site = await make_site(db)
    first = backup(tmp_path, address)
    await import_backup(db, site, first)
    reader = await register(client, email=address)
    await verify(client, mailbox, address)
    # The same author's next comment, in a later backup of the same Remark42.
    lines = first.read_text().splitlines()
    later = json.loads(lines[1]) | {
        "id": "later-1",
        "text": "<p>Encore moi</p>",
        "time": "2024-06-01T12:00:00Z",
    }
    path = tmp_path / "later.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(later)]) + "\n")
    summary = await Importer(db).run(site, Source.REMARK42, READERS[Source.REMARK42](path))
    assert (summary.comments_created, summary.authors_created) == (1, 0)
    assert await db.fetchval(
        "SELECT c.author_id FROM comments c JOIN imported_comments i ON i.comment_id = c.id WHERE i.source_id = 'later-1'"
    ) == reader.id  # fmt: skip
