"""A signed-in reader's page as every reader shares it, with their own part beside it
(`overlay=true`): merged as the widget merges it, it is exactly the page built for them, for
readers, authors, moderators and every kind of page; a reader whose page has another shape gets
theirs built for them; and the shared part is the cached page."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import zlib

import pytest

from tests.builders import (
    Reader,
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    unique_name,
)


def merged(thread: dict) -> dict:
    """The page as the widget makes it of a shared page: each comment's ``my_vote`` from
    ``viewer.votes``, and the reader's own comments' parts from ``viewer.own``."""
    thread = copy.deepcopy(thread)
    votes, own = thread["viewer"].pop("votes"), thread["viewer"].pop("own")

    def merge(comment: dict) -> None:
        comment["my_vote"] = votes.get(str(comment["id"]), 0)
        comment.update(own.get(str(comment["id"]), {}))
        for reply in comment["replies"]:
            merge(reply)

    for comment in thread["comments"]:
        merge(comment)
    return thread


async def both(client, site: str, article: str, reader: Reader, **params: object) -> tuple[dict, dict]:
    """The page built for the reader, and the shared one with their part (asked second: a miss
    would fill the cache from the same data)."""
    built = await read_thread(client, site, article, reader, **params)
    shared = await read_thread(client, site, article, reader, overlay="true", **params)
    return built, shared


async def vote(client, reader: Reader, comment_id: int, value: int) -> None:
    response = await client.put(
        f"/api/v1/comments/{comment_id}/vote", json={"value": value}, headers=reader.auth
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def busy(client, db):
    """A thread with votes, replies, a removed comment still holding a reply, a deleted one, and
    a reader (``alice``) who wrote some of it and voted on some of it."""
    site, article = await make_site(db), unique_name("article")
    alice, bob, carol = [await register(client) for _ in range(3)]
    moderator = await make_moderator(client, db, site)
    first = await post_comment(client, bob, site, article, "Premier avis")
    mine = await post_comment(client, alice, site, article, "Mon *avis*, en Markdown")
    reply = await post_comment(client, alice, site, article, "Je réponds", parent_id=first["id"])
    doomed = await post_comment(client, carol, site, article, "Hors sujet")
    under_doomed = await post_comment(
        client, bob, site, article, "Réponse au hors sujet", parent_id=doomed["id"]
    )
    gone = await post_comment(client, carol, site, article, "Je retire")
    for comment, value in ((first, 1), (doomed, -1), (under_doomed, 1)):
        await vote(client, alice, comment["id"], value)
    await vote(client, bob, mine["id"], 1)
    await vote(client, moderator, first["id"], -1)
    await vote(client, moderator, doomed["id"], 1)
    removal = await client.post(
        f"/api/v1/sites/{site}/moderation/bulk",
        json={"comment_ids": [doomed["id"]], "action": "reject", "reason": "Hors sujet"},
        headers=moderator.auth,
    )
    assert removal.json()["results"][0]["outcome"] == "applied", removal.text
    deleted = await client.delete(f"/api/v1/comments/{gone['id']}", headers=carol.auth)
    assert deleted.status_code == 204, deleted.text
    return site, article, {"alice": alice, "bob": bob, "carol": carol, "moderator": moderator}, mine, reply


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "moderator"])
@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
async def test_the_shared_page_with_the_readers_part_is_their_page(client, busy, who, sort):
    site, article, readers, mine, reply = busy
    built, shared = await both(client, site, article, readers[who], sort=sort)
    assert "votes" not in built["viewer"]
    if who == "carol":
        # Her removed comment is hers alone to see, with its reason: her page is built for her.
        assert shared == built and "votes" not in shared["viewer"]
        assert any(c.get("moderation_reason") == "Hors sujet" for c in _flat(built["comments"]))
        return
    assert merged(shared) == built
    if who == "alice":
        assert shared["viewer"]["own"][str(mine["id"])]["body"] == "Mon *avis*, en Markdown"
        assert str(reply["id"]) in shared["viewer"]["own"]
        # Her vote on the removed comment is not shown: readers see a placeholder there.
        assert sorted(int(i) for i in shared["viewer"]["votes"]) == sorted(
            c["id"] for c in _flat(built["comments"]) if c["my_vote"]
        )
    if who == "moderator":
        assert shared["viewer"]["own"] == {} and len(shared["viewer"]["votes"]) == 2


def _flat(comments: list[dict]) -> list[dict]:
    return [c for comment in comments for c in (comment, *_flat(comment["replies"]))]


async def test_pages_after_a_cursor_and_further_replies_are_shared_too(client, db):
    site, article = await make_site(db), unique_name("article")
    author, reader = await register(client), await register(client)
    roots = [await post_comment(client, author, site, article, f"Fil {n}") for n in range(3)]
    # More replies under the first thread than a page carries (50): the rest come by its cursor.
    replies = [
        await post_comment(
            client, reader if n % 7 == 0 else author, site, article, f"r{n}", parent_id=roots[0]["id"]
        )
        for n in range(53)
    ]
    for comment in (roots[1], replies[51], replies[3]):
        await vote(client, reader, comment["id"], 1)
    built, shared = await both(client, site, article, reader, limit=2)
    assert merged(shared) == built and built["next_cursor"]
    built, shared = await both(client, site, article, reader, limit=2, cursor=built["next_cursor"])
    assert merged(shared) == built and [c["id"] for c in built["comments"]] == [roots[2]["id"]]
    first = built_first = await read_thread(client, site, article, reader, limit=2)
    cursor = built_first["comments"][0]["replies_cursor"]
    built, shared = await both(client, site, article, reader, replies_to=roots[0]["id"], cursor=cursor)
    # Further replies come with the reader's part too, where the page built for them has none.
    assert "viewer" not in built and merged(shared) == built | {"viewer": merged(shared)["viewer"]}
    assert shared["viewer"]["votes"] == {
        str(roots[1]["id"]): 1,
        str(replies[51]["id"]): 1,
        str(replies[3]["id"]): 1,
    }
    assert first["comments"][0]["more_replies"] == 3


async def test_a_reinstated_comment_carries_its_appeal_in_its_authors_part(client, db):
    site, article = await make_site(db, moderation="pre"), unique_name("article")
    author = await register(client)
    remover, other = await make_moderator(client, db, site), await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Un avis tranché")
    [item] = await moderation_queue(client, site, remover)
    await decide(client, remover, item["item_id"], action="reject", reason="Hors sujet")
    appealed = await client.post(
        f"/api/v1/comments/{comment['id']}/appeal", json={"text": "Pourquoi ?"}, headers=author.auth
    )
    assert appealed.status_code == 202, appealed.text
    [appeal_item] = await moderation_queue(client, site, other)
    await decide(client, other, appeal_item["item_id"], action="approve", reason="Dans le sujet.")
    built, shared = await both(client, site, article, author)
    assert shared["viewer"]["own"][str(comment["id"])]["appeal"] == {
        "status": "reinstated",
        "reason": "Dans le sujet.",
    }
    assert merged(shared) == built
    public = await read_thread(client, site, article)
    assert "appeal" not in public["comments"][0] and "body" not in public["comments"][0]


async def test_a_reader_with_a_comment_only_they_see_gets_their_own_page(client, db):
    site, article = await make_site(db, moderation="pre"), unique_name("article")
    moderator = await make_moderator(client, db, site)
    author, reader = await register(client), await register(client)
    published = await post_comment(client, author, site, article, "Publié")
    [item] = await moderation_queue(client, site, moderator)
    await decide(client, moderator, item["item_id"], action="approve", reason="ok")
    held = await post_comment(client, reader, site, article, "En attente", parent_id=published["id"])
    assert held["status"] == "pending"
    built, asked = await both(client, site, article, reader)
    assert asked == built and "votes" not in asked["viewer"]
    assert [r["id"] for r in built["comments"][0]["replies"]] == [held["id"]]
    # The others' shared page does not show it; the moderators' does, with its source.
    _, others = await both(client, site, article, author)
    assert others["comments"][0]["replies"] == [] and merged(others)["comments"][0]["body"] == "Publié"
    built, shared = await both(client, site, article, moderator)
    assert merged(shared) == built and shared["comments"][0]["replies"][0]["body"] == "En attente"


async def test_the_shared_part_is_the_cached_page_and_the_readers_part_is_fresh(client, db):
    site, article = await make_site(db), unique_name("article")
    author, reader = await register(client), await register(client)
    comment = await post_comment(client, author, site, article, "Texte d'origine")
    await read_thread(client, site, article)  # an anonymous reader fills the cache
    # Written behind the service's back (no event): only a page built now would show it.
    await db.execute("UPDATE comments SET body_html = '<p>changé en douce</p>' WHERE id = $1", comment["id"])
    shared = await read_thread(client, site, article, reader, overlay="true")
    built = await read_thread(client, site, article, reader)
    assert shared["comments"][0]["body_html"] == "<p>Texte d'origine</p>"
    assert built["comments"][0]["body_html"] == "<p>changé en douce</p>"
    # A vote is the reader's own at once, on the next shared page.
    await vote(client, reader, comment["id"], 1)
    shared = await read_thread(client, site, article, reader, overlay="true")
    assert shared["viewer"]["votes"] == {str(comment["id"]): 1} and shared["comments"][0]["score"] == 1


async def test_overlay_is_ignored_for_anonymous_readers_and_checked(client, db):
    site, article = await make_site(db), unique_name("article")
    author = await register(client)
    await post_comment(client, author, site, article)
    plain = await read_thread(client, site, article)
    assert await read_thread(client, site, article, overlay="true") == plain and "viewer" not in plain
    refused = await client.get(
        f"/api/v1/sites/{site}/comments",
        params={"article": article, "overlay": "perhaps"},
        headers=author.auth,
    )
    assert refused.status_code == 400 and "overlay" in refused.text
    missing = await client.get(
        "/api/v1/sites/no-such-site/comments",
        params={"article": article, "overlay": "true"},
        headers=author.auth,
    )
    assert missing.status_code == 404
    empty = await read_thread(client, site, unique_name("article"), author, overlay="true")
    assert empty["comments"] == [] and empty["viewer"]["votes"] == {} and empty["viewer"]["can_post"]


async def test_readers_asking_at_once_each_get_their_own_part(client, db):
    """Parts asked at the same moment are read in one query: none gets another's."""
    sites = [await make_site(db), await make_site(db)]
    articles = [unique_name("article"), unique_name("article")]
    author = await register(client)
    comments = {
        (site, article): await post_comment(client, author, site, article)
        for site in sites
        for article in articles
    }
    readers = [await register(client) for _ in range(8)]
    expected = {}
    for n, reader in enumerate(readers):
        site, article = sites[n % 2], articles[n // 2 % 2]
        value = 1 if n % 3 else -1
        await vote(client, reader, comments[site, article]["id"], value)
        expected[reader.id] = (site, article, {str(comments[site, article]["id"]): value})

    async def read(reader: Reader, site: str, article: str):
        return await client.get(
            f"/api/v1/sites/{site}/comments",
            params={"article": article, "overlay": "true"},
            headers=reader.auth,
        )

    asked = [read(reader, *expected[reader.id][:2]) for reader in readers]
    asked += [
        read(readers[0], "no-such-site", articles[0]),
        read(readers[1], sites[1], unique_name("article")),
    ]
    *answers, missing, unknown = await asyncio.gather(*asked)
    for reader, answer in zip(readers, answers, strict=True):
        assert answer.status_code == 200, answer.text
        assert answer.json()["viewer"]["votes"] == expected[reader.id][2]
    assert missing.status_code == 404
    assert unknown.status_code == 200 and unknown.json()["viewer"]["votes"] == {}


async def test_a_shared_page_with_the_readers_ending_is_one_gzip_stream(client, db):
    """Gzipped, the shared part's compressed blocks are the same for every reader (kept, not
    compressed again); each reader's ending follows in blocks of its own that end the same stream, which
    a strict decoder reads as one member equal to the page sent uncompressed."""
    site, article = await make_site(db), unique_name("article")
    author, first, second = [await register(client) for _ in range(3)]
    for n in range(12):
        comment = await post_comment(
            client, author, site, article, f"Un commentaire assez long, le numéro {n}."
        )
    await vote(client, first, comment["id"], 1)
    url, params = f"/api/v1/sites/{site}/comments", {"article": article, "overlay": "true"}
    streams = []
    for reader in (first, second):
        plain = await client.get(url, params=params, headers={"Accept-Encoding": "identity", **reader.auth})
        async with client.stream(
            "GET", url, params=params, headers={"Accept-Encoding": "gzip", **reader.auth}
        ) as zipped:
            raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
        assert (
            zipped.headers["content-encoding"] == "gzip"
            and zipped.headers["cache-control"] == "private, no-store"
        )
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert inflate.decompress(raw) == plain.content and inflate.eof and not inflate.unused_data
        assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 2
        streams.append(raw)
    assert json.loads(gzip.decompress(streams[0]))["viewer"]["votes"] == {str(comment["id"]): 1}
    assert json.loads(gzip.decompress(streams[1]))["viewer"]["votes"] == {}
    # The shared blocks end with a sync flush (an empty stored block); both streams begin with
    # them, and what follows is each reader's ending alone.
    head = streams[0].rindex(b"\x00\x00\xff\xff") + 4
    assert streams[1][:head] == streams[0][:head]
    assert all(len(stream) - head < 128 for stream in streams), (
        "each reader's own blocks are only the ending's"
    )
