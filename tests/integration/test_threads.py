"""Reading at scale and under concurrency: pagination, sorts, counts, idempotent
posting, concurrent writes, and what the API refuses (CSRF, hostile text, CORS)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid

import asyncpg
import msgspec
import pytest

from commentsvc.domain.comments import Comments
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.reading import Reading
from commentsvc.kv.batch import Batched
from commentsvc.kv.cache import GenerationalCache
from commentsvc.kv.client import create_client
from commentsvc.kv.keys import Keys
from commentsvc.kv.recent import RecentChanges
from commentsvc.store import posting as store_posting
from commentsvc.store.pool import connection, create_pool
from commentsvc.store.replicas import Reads
from tests.builders import (
    eventually,
    flatten,
    make_site,
    new_row,
    post_comment,
    read_thread,
    register,
    unique_name,
    waiting_on_locks,
)


@pytest.fixture
async def site(db):
    return await make_site(db, origins=("https://news.example", "http://localhost:8000"))


@pytest.fixture
def article():
    return unique_name("article")


async def read_all(client, site, article, sort, limit, between_pages=None):
    """Every top-level comment id, page after page; ``between_pages`` runs before each next page."""
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "limit": limit} | ({"cursor": cursor} if cursor else {})
        page = await read_thread(client, site, article, **params)
        seen += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between_pages:
            await between_pages()


@pytest.mark.parametrize("sort", ["oldest", "newest"])
async def test_pagination_visits_every_comment_once_while_new_ones_arrive(client, site, article, sort):
    alice, bob = await register(client), await register(client)
    original = [(await post_comment(client, alice, site, article, f"c{n}"))["id"] for n in range(23)]

    async def someone_posts():
        await post_comment(client, bob, site, article, "arrived between pages")

    seen = await read_all(client, site, article, sort, limit=5, between_pages=someone_posts)
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in original] == (original if sort == "oldest" else original[::-1])


async def test_top_sorts_by_score_then_newest(client, site, article):
    authors = [await register(client) for _ in range(3)]
    voter_a, voter_b = await register(client), await register(client)
    low, high, mid = [(await post_comment(client, a, site, article))["id"] for a in authors]
    for voter in (voter_a, voter_b):
        await client.put(f"/api/v1/comments/{high}/vote", json={"value": 1}, headers=voter.auth)
    await client.put(f"/api/v1/comments/{mid}/vote", json={"value": 1}, headers=voter_a.auth)
    await client.put(f"/api/v1/comments/{low}/vote", json={"value": -1}, headers=voter_a.auth)
    newest_unvoted = (await post_comment(client, authors[0], site, article))["id"]
    assert await read_all(client, site, article, "top", limit=2) == [high, mid, newest_unvoted, low]


async def test_each_page_carries_its_threads_whole(client, site, article):
    alice = await register(client)
    tops = [(await post_comment(client, alice, site, article, f"top {n}"))["id"] for n in range(3)]
    for top in tops:
        for n in range(4):
            await post_comment(client, alice, site, article, f"reply {n} to {top}", parent_id=top)
    page = await read_thread(client, site, article, limit=2)
    assert [c["id"] for c in page["comments"]] == tops[:2]
    assert [len(c["replies"]) for c in page["comments"]] == [4, 4]
    rest = await read_thread(client, site, article, limit=2, cursor=page["next_cursor"])
    assert [c["id"] for c in rest["comments"]] == tops[2:] and rest["next_cursor"] is None
    assert len(flatten(page["comments"] + rest["comments"])) == 15


async def test_a_page_is_two_queries_whatever_the_thread_size(client, db, settings, site, article):
    alice = await register(client)
    for n in range(6):
        top = await post_comment(client, alice, site, article, f"top {n}")
        for _ in range(3):
            top = await post_comment(client, alice, site, article, "deeper", parent_id=top["id"])
    queries: list[str] = []
    # One connection, which the page is read on: its queries are the page's.
    pool = await create_pool(dataclasses.replace(settings, db_pool_size=1))
    try:
        async with connection(pool) as conn:
            conn.add_query_logger(lambda record: queries.append(record.query))
        batched = Batched(create_client(settings))
        cache = GenerationalCache(batched, Keys(settings.redis_prefix))
        primary_only = Reading(Reads(pool), RecentChanges(batched, Keys(settings.redis_prefix), 0))
        # Signed in: read from PostgreSQL, never from the cache.
        reading = Comments(cache, pool, Dispatcher(pool, settings.database_url, []), primary_only)
        page = (await reading.thread_json(site, article, alice.id, "oldest", 20, None, None)).page
        await asyncio.sleep(0)  # query loggers are called soon after each query, not during it
    finally:
        await pool.close()
    assert len(flatten(msgspec.json.decode(page)["comments"])) == 24
    assert len(queries) == 2


async def add_replies(db, root: dict, author, count: int) -> list[int]:
    """``count`` replies to a top-level comment (moved a day back), written straight into its
    thread, a second apart: each 25th answers the reply before it (so some hang under a reply of
    an earlier page), and the 100th is deleted (its answer, the 101st, then hangs under a
    placeholder). Their ids."""
    first = await db.fetchval("SELECT max(id) + 1 FROM comments")
    await db.execute(
        "UPDATE comments SET created_at = created_at - interval '1 day' WHERE id = $1", root["id"]
    )
    await db.execute(
        """INSERT INTO comments (id, article_id, parent_id, root_id, depth, status, author_id, body, body_html,
                                 created_at, deleted_at)
           OVERRIDING SYSTEM VALUE
           SELECT $1 + n, r.article_id, CASE WHEN n % 25 = 0 AND n > 0 THEN $1 + n - 1 ELSE r.id END, r.id,
                  CASE WHEN n % 25 = 0 AND n > 0 THEN 2 ELSE 1 END,
                  CASE WHEN n = 99 THEN 'deleted' ELSE 'approved' END, $3, 'réponse ' || n,
                  '<p>réponse ' || n || '</p>', r.created_at + (n + 1) * interval '1 second',
                  CASE WHEN n = 99 THEN now() END
           FROM comments r, generate_series(0, $4 - 1) AS n WHERE r.id = $2""",
        first,
        root["id"],
        author.id,
        count,
    )
    await db.execute(
        "SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT max(id) FROM comments))"
    )
    return list(range(first, first + count))


async def test_a_page_carries_the_first_50_replies_of_a_thread_of_20000(client, db, site, article):
    alice = await register(client)
    long, short = [await post_comment(client, alice, site, article, f"top {n}") for n in range(2)]
    await post_comment(client, alice, site, article, "a reply", parent_id=short["id"])
    replies = await add_replies(db, long, alice, 20_000)
    response = await client.get(f"/api/v1/sites/{site}/comments", params={"article": article})
    assert len(response.content) < 25_000
    first, second = response.json()["comments"]
    assert [c["id"] for c in flatten(first["replies"])] == replies[:50]
    assert first["more_replies"] == 20_000 - 50 - 1  # the deleted one is not shown
    assert first["replies_cursor"]
    assert len(second["replies"]) == 1 and "more_replies" not in second and "replies_cursor" not in second


async def read_replies(client, site, article, root_id, cursor, reader=None):
    return (await read_thread(client, site, article, reader, replies_to=root_id, cursor=cursor))["comments"]


@pytest.mark.parametrize("signed_in", [False, True])
async def test_the_replies_cursor_walks_every_reply_once_in_order_under_its_parent(
    client, db, site, article, signed_in
):
    alice = await register(client)
    root = await post_comment(client, alice, site, article)
    # The page's bound is the 20,000-reply test's; walking 40 pages proves the cursor.
    replies = await add_replies(db, root, alice, 2_000)
    reader = alice if signed_in else None
    deleted, visible = replies[99], [i for i in replies if i != replies[99]]
    [top] = (await read_thread(client, site, article, reader))["comments"]
    seen, cursor, pages = [c["id"] for c in flatten(top["replies"])], top["replies_cursor"], 1
    while cursor:
        [again] = await read_replies(client, site, article, root["id"], cursor, reader)
        assert again["id"] == root["id"]
        before, new = set(seen), []
        for comment in flatten(again["replies"]):
            assert (
                comment["parent_id"] == root["id"]
                or comment["parent_id"] in before
                or comment["parent_id"] in new
            )
            if comment["id"] in before:  # shown before, sent again to hang this page's replies under
                assert comment["replies"]
            else:
                new.append(comment["id"])
        assert 0 < len([i for i in new if i != deleted]) <= 50
        seen += new
        assert again.get("more_replies", 0) == len(replies) - visible.index(seen[-1]) - 2
        cursor, pages = again.get("replies_cursor"), pages + 1
    assert [i for i in seen if i != deleted] == visible
    assert deleted in seen  # as the placeholder its reply hangs under
    assert pages == 40


async def test_the_next_replies_of_an_anonymous_page_are_cached_and_show_a_new_reply_at_once(
    client, db, site, article
):
    alice = await register(client)
    root = await post_comment(client, alice, site, article)
    replies = await add_replies(db, root, alice, 60)
    cursor = (await read_thread(client, site, article))["comments"][0]["replies_cursor"]
    [again] = await read_replies(client, site, article, root["id"], cursor)
    # The 51st answers the 50th, which comes again for it to hang under.
    assert [c["id"] for c in flatten(again["replies"])] == replies[49:] and "replies_cursor" not in again
    reply = await post_comment(client, alice, site, article, "one more", parent_id=root["id"])
    [again] = await read_replies(client, site, article, root["id"], cursor)
    assert [c["id"] for c in flatten(again["replies"])] == [*replies[49:], reply["id"]]


async def test_replies_are_read_from_a_top_level_comment_of_the_article_with_a_replies_cursor(
    client, db, site, article
):
    alice = await register(client)
    root = await post_comment(client, alice, site, article)
    reply = await post_comment(client, alice, site, article, parent_id=root["id"])
    await add_replies(db, root, alice, 60)
    await post_comment(client, alice, site, article)
    page = await read_thread(client, site, article, limit=1)
    url, params = f"/api/v1/sites/{site}/comments", {"article": article}
    of_a_reply = await client.get(url, params={**params, "replies_to": reply["id"]})
    assert of_a_reply.status_code == 404
    of_another_article = await client.get(url, params={"article": "other", "replies_to": root["id"]})
    assert of_another_article.status_code == 404
    replies_cursor = page["comments"][0]["replies_cursor"]
    for cursor, replies_to in ((replies_cursor, None), (page["next_cursor"], root["id"])):
        mixed = await client.get(
            url, params={**params, "cursor": cursor} | ({"replies_to": replies_to} if replies_to else {})
        )
        assert mixed.status_code == 400 and mixed.json()["field"] == "cursor"


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'["oldest","x",1,0]').decode(),
    ],
)
async def test_a_bad_cursor_is_a_400(client, site, article, cursor):
    response = await client.get(
        f"/api/v1/sites/{site}/comments", params={"article": article, "cursor": cursor}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "cursor"


async def test_a_cursor_of_another_sort_is_refused(client, site, article):
    alice = await register(client)
    for _ in range(3):
        await post_comment(client, alice, site, article)
    cursor = (await read_thread(client, site, article, limit=1))["next_cursor"]
    response = await client.get(
        f"/api/v1/sites/{site}/comments", params={"article": article, "cursor": cursor, "sort": "top"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "article"),
        ({"article": ""}, "article"),
        ({"article": "x" * 513}, "article"),
        ({"article": "a", "sort": "random"}, "sort"),
        ({"article": "a", "limit": 0}, "limit"),
        ({"article": "a", "limit": 101}, "limit"),
        ({"article": "a", "limit": "ten"}, "limit"),
        ({"article": "a\x00b"}, "article"),
    ],
)
async def test_bad_thread_queries_are_400_naming_the_parameter(client, site, params, field):
    response = await client.get(f"/api/v1/sites/{site}/comments", params=params)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]


async def test_counts_for_many_articles_in_one_request(client, db, site):
    alice = await register(client)
    articles = [unique_name("a") for _ in range(3)]
    for n, key in enumerate(articles):
        for _ in range(n + 1):
            await post_comment(client, alice, site, key)
    hidden = await post_comment(client, alice, site, articles[0])
    await client.delete(f"/api/v1/comments/{hidden['id']}", headers=alice.auth)
    response = await client.get(f"/api/v1/sites/{site}/counts", params={"article": [*articles, "never-seen"]})
    assert response.status_code == 200
    assert response.json() == {articles[0]: 1, articles[1]: 2, articles[2]: 3, "never-seen": 0}
    assert "public" in response.headers["cache-control"] and "max-age" in response.headers["cache-control"]


@pytest.mark.parametrize("keys", [[], [f"k{n}" for n in range(101)], ["x" * 513]])
async def test_counts_need_1_to_100_sane_keys(client, site, keys):
    response = await client.get(f"/api/v1/sites/{site}/counts", params={"article": keys})
    assert response.status_code == 400


async def test_counts_of_an_unknown_site_are_404(client):
    response = await client.get("/api/v1/sites/nope-nope/counts", params={"article": "a"})
    assert response.status_code == 404


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_comment(client, site, article, db):
    alice = await register(client)
    key = str(uuid.uuid4())
    body = {"article": article, "body": "une seule fois"}
    headers = alice.auth | {"Idempotency-Key": key}
    first = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=headers)
    retry = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert await db.fetchval("SELECT count(*) FROM comments WHERE body = 'une seule fois'") == 1
    other = await client.post(
        f"/api/v1/sites/{site}/comments", json=body | {"body": "autre"}, headers=headers
    )
    assert other.status_code == 422
    assert await db.fetchval("SELECT count(*) FROM comments WHERE body = 'autre'") == 0


async def test_idempotency_keys_belong_to_one_reader(client, site, article):
    alice, bob = await register(client), await register(client)
    body = {"article": article, "body": "same words"}
    key = {"Idempotency-Key": "shared-key-123"}
    first = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=alice.auth | key)
    second = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=bob.auth | key)
    assert first.json()["id"] != second.json()["id"]


async def test_two_concurrent_requests_with_one_idempotency_key_create_one_comment(client, site, article, db):
    alice = await register(client)
    body = {"article": article, "body": "double clic"}
    headers = alice.auth | {"Idempotency-Key": str(uuid.uuid4())}
    responses = await asyncio.gather(
        *(client.post(f"/api/v1/sites/{site}/comments", json=body, headers=headers) for _ in range(2))
    )
    assert [r.status_code for r in responses] == [201, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await db.fetchval("SELECT count(*) FROM comments WHERE body = 'double clic'") == 1


async def test_posts_written_together_are_each_answered_alone(client, site, article, db):
    """Concurrent posts share a statement; one Idempotency-Key sent twice among them fails that
    statement, and each post is then written on its own: the others are not refused."""
    readers = [await register(client) for _ in range(6)]
    key = {"Idempotency-Key": str(uuid.uuid4())}

    async def post(n, headers):
        return await client.post(
            f"/api/v1/sites/{site}/comments",
            json={"article": article, "body": f"ensemble {n}"},
            headers=readers[n].auth | headers,
        )

    responses = await asyncio.gather(*(post(n, {}) for n in range(1, 6)), post(0, key), post(0, key))
    assert [r.status_code for r in responses] == [201] * 7
    assert responses[5].json()["id"] == responses[6].json()["id"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.key = $1", article
        )
        == 6
    )


async def test_100_concurrent_posts_and_deletes_keep_the_count_exact(client, site, article, db):
    readers = [await register(client) for _ in range(10)]
    seeded = [await post_comment(client, readers[n % 10], site, article, f"seed {n}") for n in range(50)]

    async def post(n):
        return await client.post(
            f"/api/v1/sites/{site}/comments",
            json={"article": article, "body": f"new {n}"},
            headers=readers[n % 10].auth,
        )

    async def delete(comment):
        author = next(r for r in readers if r.id == comment["author"]["id"])
        return await client.delete(f"/api/v1/comments/{comment['id']}", headers=author.auth)

    # Each seeded comment is deleted twice at once: the count must move once.
    work = [post(n) for n in range(50)] + [delete(c) for c in seeded[:25] for _ in range(2)]
    responses = await asyncio.gather(*work)
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 50
    assert statuses.count(204) + statuses.count(404) == 50
    visible = await db.fetchval(
        "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.key = $1 AND c.status = 'approved'",
        article,
    )
    stored = await db.fetchval("SELECT comment_count FROM articles WHERE key = $1", article)
    assert visible == stored == 75
    assert (await read_thread(client, site, article))["article"]["comment_count"] == 75


async def test_concurrent_votes_and_withdrawals_keep_the_score_the_sum_of_the_votes(
    client, site, article, db
):
    author = await register(client)
    comments = [await post_comment(client, author, site, article) for _ in range(2)]
    voters = [await register(client) for _ in range(12)]

    async def vote(voter, comment, value):
        url = f"/api/v1/comments/{comment['id']}/vote"
        response = await client.put(url, json={"value": value}, headers=voter.auth)
        assert response.status_code == 200, response.text

    # Each reader votes on both comments, changes one vote and withdraws another, all at once.
    await asyncio.gather(*(vote(v, c, 1 if n % 3 else -1) for n, v in enumerate(voters) for c in comments))
    await asyncio.gather(
        *(vote(v, comments[0], -1) for v in voters[:4]), *(vote(v, comments[1], 0) for v in voters[4:8])
    )
    for comment in comments:
        stored, summed = await db.fetchrow(
            "SELECT score, (SELECT coalesce(sum(value), 0) FROM votes WHERE comment_id = $1) FROM comments WHERE id = $1",
            comment["id"],
        )
        assert stored == summed
    assert [c["score"] for c in (await read_thread(client, site, article))["comments"]] == [0, 2]


async def test_the_votes_of_an_erased_account_no_longer_count(client, site, article):
    author, bob, carol = [await register(client) for _ in range(3)]
    comment = await post_comment(client, author, site, article)
    for voter, score in ((bob, 1), (carol, 2)):
        voted = await client.put(
            f"/api/v1/comments/{comment['id']}/vote", json={"value": 1}, headers=voter.auth
        )
        assert voted.json() == {"score": score}
    assert (await read_thread(client, site, article))["comments"][0][
        "score"
    ] == 2  # cached for anonymous readers
    erased = await client.request("DELETE", "/api/v1/me", json={"password": bob.password}, headers=bob.auth)
    assert erased.status_code == 204
    assert (await read_thread(client, site, article))["comments"][0]["score"] == 1
    assert (await read_thread(client, site, article, carol))["comments"][0]["score"] == 1


async def test_a_site_deleted_with_its_voted_comments_goes_whole(client, db, site, article):
    """Votes removed with their comments find no score left to move."""
    author, reader = await register(client), await register(client)
    comment = await post_comment(client, author, site, article)
    await client.put(f"/api/v1/comments/{comment['id']}/vote", json={"value": -1}, headers=reader.auth)
    await db.execute("DELETE FROM sites WHERE slug = $1", site)
    assert await db.fetchval("SELECT count(*) FROM votes WHERE user_id = $1", reader.id) == 0


async def test_concurrent_first_comments_create_the_article_once(client, site, article, db):
    readers = [await register(client) for _ in range(5)]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/sites/{site}/comments",
                json={"article": article, "body": f"premier ? {n}"},
                headers=readers[n % 5].auth,
            )
            for n in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20
    assert await db.fetchval("SELECT count(*) FROM articles WHERE key = $1", article) == 1
    assert await db.fetchval("SELECT comment_count FROM articles WHERE key = $1", article) == 20


async def test_an_expired_idempotency_key_can_be_used_again(client, site, article, db):
    alice = await register(client)
    headers = alice.auth | {"Idempotency-Key": "once-a-day"}
    body = {"article": article, "body": "tous les jours"}
    first = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=headers)
    await db.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1", alice.id
    )
    await db.execute(
        "UPDATE comments SET status = 'deleted', deleted_at = now() WHERE id = $1", first.json()["id"]
    )
    again = await client.post(f"/api/v1/sites/{site}/comments", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in again.headers


async def test_a_comment_is_not_written_when_its_context_changed_after_it_was_read(client, site, article, db):
    """Posting reads what it decides on, then writes in one statement that checks it again:
    a change in between writes nothing (and the post reads again, then refuses or retries)."""
    alice, bob = await register(client), await register(client)
    parent = await post_comment(client, bob, site, article)
    article_id = await db.fetchval("SELECT id FROM articles WHERE key = $1", article)

    locked = await new_row(db, site, article, alice)
    await db.execute("UPDATE articles SET locked = true WHERE id = $1", article_id)
    assert await store_posting.insert(db, [locked]) == [None]
    await db.execute("UPDATE articles SET locked = false WHERE id = $1", article_id)

    banned = await new_row(db, site, article, alice)
    site_id = await db.fetchval("SELECT id FROM sites WHERE slug = $1", site)
    await db.execute("INSERT INTO bans (site_id, user_id, reason) VALUES ($1, $2, 'test')", site_id, alice.id)
    assert await store_posting.insert(db, [banned]) == [None]
    await db.execute("DELETE FROM bans WHERE user_id = $1", alice.id)

    reply = await new_row(db, site, article, alice, parent_id=parent["id"])
    await db.execute("UPDATE comments SET status = 'rejected' WHERE id = $1", parent["id"])
    assert await store_posting.insert(db, [reply]) == [None]
    await db.execute("UPDATE comments SET status = 'approved' WHERE id = $1", parent["id"])

    first = await new_row(db, site, unique_name("article"), alice)
    await db.execute("INSERT INTO articles (site_id, key) VALUES ($1, $2)", first.site_id, first.article_key)
    assert await store_posting.insert(db, [first]) == [None]

    assert await db.fetchval("SELECT count(*) FROM comments WHERE author_id = $1", alice.id) == 0
    # Several comments in one statement, each answered in its place.
    batch = [
        await new_row(db, site, article, alice, parent_id=parent["id"], body="une réponse"),
        await new_row(db, site, article, bob, body="un autre avis"),
        await new_row(db, site, unique_name("article"), alice, body="ailleurs"),
    ]
    written = [w.comment for w in await store_posting.insert(db, batch)]
    assert [w.body for w in written] == ["une réponse", "un autre avis", "ailleurs"]
    assert written[0].parent_id == parent["id"] and written[1].parent_id is None
    assert [w.author_id for w in written] == [alice.id, bob.id, alice.id]
    assert await db.fetchval("SELECT comment_count FROM articles WHERE id = $1", article_id) == 3
    assert await db.fetchval("SELECT comment_count FROM articles WHERE key = $1", batch[2].article_key) == 1


async def test_batches_crossing_authors_and_articles_cannot_deadlock(client, db, site, test_database):
    """Batch A writes (u1, a1) then (u2, a2); batch B writes (u2, a1). Were each comment's
    rows locked as its triggers reach them, B holding u2's standing and waiting for a1 while A
    holds a1 and waits for u2 would deadlock. Each statement takes every standing, then every
    article, in order: B, queued first for u2, takes a1 after it, and A waits for both."""
    u1, u2 = await register(client), await register(client)
    a1, a2 = unique_name("article"), unique_name("article")
    for author, article in ((u1, a1), (u2, a2)):
        await post_comment(client, author, site, article)  # their standings and the articles exist
    batch_a = [await new_row(db, site, a1, u1, body="A1"), await new_row(db, site, a2, u2, body="A2")]
    batch_b = [await new_row(db, site, a1, u2, body="B1")]
    conn_a, conn_b, holder = [await asyncpg.connect(test_database) for _ in range(3)]
    try:
        async with holder.transaction():
            await holder.execute("SELECT FROM author_standing WHERE user_id = $1 FOR UPDATE", u2.id)
            b = asyncio.create_task(store_posting.insert(conn_b, batch_b))
            await eventually(lambda: _waiting(db, 1), "batch B waits for u2's standing")
            a = asyncio.create_task(store_posting.insert(conn_a, batch_a))
            await eventually(lambda: _waiting(db, 2), "batch A waits too")
        written = await asyncio.gather(a, b)
    finally:
        for conn in (conn_a, conn_b, holder):
            await conn.close()
    assert [[row.comment.body for row in rows] for rows in written] == [["A1", "A2"], ["B1"]]


async def _waiting(db, count: int) -> bool:
    return await waiting_on_locks(db) >= count


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", '{"article": "a", "body": "csrf"}'),
        ("application/x-www-form-urlencoded", "article=a&body=csrf"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="body"\r\n\r\ncsrf\r\n--x--',
        ),
        ("", '{"article": "a", "body": "csrf"}'),
    ],
)
async def test_writes_that_are_not_json_are_refused_and_store_nothing(
    client, site, db, content_type, content
):
    alice = await register(client)
    headers = alice.auth | ({"Content-Type": content_type} if content_type else {})
    response = await client.post(f"/api/v1/sites/{site}/comments", content=content.encode(), headers=headers)
    assert response.status_code == 415
    assert response.json()["detail"]
    assert await db.fetchval("SELECT count(*) FROM comments WHERE body = 'csrf'") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "nul \x00 byte"}, "body"),
        ({"body": "bell \x07"}, "body"),
        ({"body": "   \n\t "}, "body"),
        ({"body": ""}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"article": "key\x00"}, "article"),
        ({"article": ""}, "article"),
        ({"article": "k" * 513}, "article"),
        ({"article_title": "t\x00"}, "article_title"),
        ({"parent_id": -1}, "parent_id"),
        ({"parent_id": 2**63}, "parent_id"),
        ({"parent_id": "12"}, "parent_id"),
        ({"status": "approved"}, "status"),
        ({"author_id": 1}, "author_id"),
    ],
)
async def test_hostile_comment_payloads_are_400_and_store_nothing(client, site, article, db, body, field):
    alice = await register(client)
    payload = {"article": article, "body": "fine"} | body
    response = await client.post(f"/api/v1/sites/{site}/comments", json=payload, headers=alice.auth)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert await db.fetchval("SELECT count(*) FROM comments WHERE author_id = $1", alice.id) == 0


async def test_a_lone_surrogate_is_a_400_not_a_500(client, site, article):
    alice = await register(client)
    raw = b'{"article": "%s", "body": "bad \\ud800 surrogate"}' % article.encode()
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        content=raw,
        headers=alice.auth | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_cors_answers_the_sites_origins_only(client, site):
    allowed = await client.get(
        f"/api/v1/sites/{site}/counts", params={"article": "a"}, headers={"Origin": "https://news.example"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://news.example"
    assert "Origin" in allowed.headers["vary"]
    foreign = await client.get(
        f"/api/v1/sites/{site}/counts", params={"article": "a"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in foreign.headers
    preflight = await client.options(
        f"/api/v1/sites/{site}/comments",
        headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    refused = await client.options(
        f"/api/v1/sites/{site}/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


async def test_account_routes_never_answer_other_origins(client):
    response = await client.post(
        "/api/v1/auth/login", json={"login": "x", "password": "y"}, headers={"Origin": "https://news.example"}
    )
    assert "access-control-allow-origin" not in response.headers


async def test_anonymous_pages_come_from_the_cache_and_every_change_shows_at_once(
    client, db, settings, site, article
):
    alice, bob = await register(client), await register(client)
    first = await post_comment(client, alice, site, article, "first")
    assert [c["id"] for c in (await read_thread(client, site, article))["comments"]] == [first["id"]]
    redis = create_client(settings)
    try:
        cached = [
            key async for key in redis.scan_iter(match=f"{settings.redis_prefix}cache:{{thread:{site}:*")
        ]
        assert len(cached) == 1
    finally:
        await redis.aclose()

    second = await post_comment(client, bob, site, article, "second")
    assert len((await read_thread(client, site, article))["comments"]) == 2
    await client.patch(f"/api/v1/comments/{second['id']}", json={"body": "second, edited"}, headers=bob.auth)
    assert (await read_thread(client, site, article))["comments"][1]["body_html"] == "<p>second, edited</p>"
    await client.put(f"/api/v1/comments/{first['id']}/vote", json={"value": 1}, headers=bob.auth)
    assert (await read_thread(client, site, article))["comments"][0]["score"] == 1
    await client.delete(f"/api/v1/comments/{first['id']}", headers=alice.auth)
    thread = await read_thread(client, site, article)
    assert [c["id"] for c in thread["comments"]] == [second["id"]] and thread["article"]["comment_count"] == 1
    counts = await client.get(f"/api/v1/sites/{site}/counts", params={"article": article})
    assert counts.json() == {article: 1}
    await client.request("DELETE", "/api/v1/me", json={"password": bob.password}, headers=bob.auth)
    assert (await read_thread(client, site, article))["comments"][0]["author"] is None


async def test_a_signed_in_readers_page_is_never_served_to_others(client, db, article):
    site = await make_site(db, moderation="pre")
    alice = await register(client)
    await post_comment(client, alice, site, article, "mine, pending")
    own = await read_thread(client, site, article, alice)
    assert len(own["comments"]) == 1 and own["comments"][0]["body"] == "mine, pending"
    assert (await read_thread(client, site, article))["comments"] == []


async def test_pages_are_gzipped_for_clients_that_accept_it(client, site, article):
    alice = await register(client)
    for n in range(12):
        await post_comment(
            client, alice, site, article, f"Un commentaire assez long pour peser un peu, le numéro {n}."
        )
    url = f"/api/v1/sites/{site}/comments"
    plain = await client.get(url, params={"article": article}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and "Accept-Encoding" in plain.headers["vary"]
    for reader in (None, alice):  # the shared anonymous page, and a page made for one reader
        headers = {"Accept-Encoding": "gzip", **(reader.auth if reader else {})}
        for _ in range(2):  # the second anonymous one comes from the cache, compressed once
            zipped = await client.get(url, params={"article": article}, headers=headers)
            assert zipped.headers["content-encoding"] == "gzip"
            assert zipped.num_bytes_downloaded < len(zipped.content) / 2
            assert len(zipped.json()["comments"]) == 12
    anonymous = await client.get(url, params={"article": article}, headers={"Accept-Encoding": "gzip"})
    assert anonymous.json() == plain.json()
    # A small answer is sent as it is.
    counts = await client.get(
        f"/api/v1/sites/{site}/counts", params={"article": article}, headers={"Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in counts.headers and counts.json() == {article: 12}
