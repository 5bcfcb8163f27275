"""Indexable comments: the thread's first page as an HTML fragment that crawlers read as schema.org
`Comment` microdata, and the Atom feeds feed readers take, both revalidated with an ETag."""

from __future__ import annotations

import re

import extruct
import feedparser
import pytest

from commentsvc.api.widget import asset
from commentsvc.domain.fragments import FIRST_LIMIT, FIRST_SORT
from tests.builders import make_moderator, make_site, post_comment, register, unique_name

ARTICLE_URL = "https://news.example/un-titre"
COMMENT = "https://schema.org/Comment"


@pytest.fixture
async def thread(client, db):
    """A site holding what contains a blocked word: two published comments, a reply, one held."""
    site = await make_site(db, blocked_words=["casino"])
    article = unique_name("article")
    alice = await register(client, display_name="Alice Martin")
    bob = await register(client, display_name="Bob <b>Durand</b>")
    first = await post_comment(client, alice, site, article, "Premier **avis**")
    # The article's title and URL are a moderator's to set (a reader's comment does not).
    described = await client.put(
        f"/api/v1/sites/{site}/articles",
        json={"article": article, "article_title": "Un titre", "article_url": ARTICLE_URL},
        headers=(await make_moderator(client, db, site)).auth,
    )
    assert described.status_code == 200, described.text
    reply = await post_comment(client, bob, site, article, "Je réponds & j'insiste", parent_id=first["id"])
    second = await post_comment(client, bob, site, article, "Un second avis")
    held = await post_comment(client, alice, site, article, "Venez au casino ce soir")
    assert held["status"] == "pending"
    return {"site": site, "article": article, "first": first, "reply": reply, "second": second}


def comments_in(fragment: str) -> list[dict]:
    """The Comment items a crawler reads, depth first, with the article they hang on."""
    [posting] = extruct.extract(fragment, base_url=ARTICLE_URL, syntaxes=["microdata"])["microdata"]
    assert posting["type"] == "https://schema.org/DiscussionForumPosting"

    def walk(item: dict) -> list[dict]:
        replies = item["properties"].get("comment", [])  # one value alone is no list
        return [
            c
            for reply in (replies if isinstance(replies, list) else [replies])
            for c in (reply, *walk(reply))
        ]

    return walk(posting)


async def fragment_of(client, site: str, article: str, **headers: str):
    return await client.get(
        f"/api/v1/sites/{site}/comments.html", params={"article": article}, headers=headers
    )


async def test_the_fragment_is_comment_microdata_of_the_published_comments_only(client, thread):
    response = await fragment_of(client, thread["site"], thread["article"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"].startswith("public")
    items = comments_in(response.text)
    assert [item["type"] for item in items] == [COMMENT] * 3
    seen = [
        (item["properties"]["author"]["properties"]["name"], item["properties"]["text"]) for item in items
    ]
    assert seen == [
        ("Alice Martin", "Premier avis"),
        ("Bob <b>Durand</b>", "Je réponds & j'insiste"),
        ("Bob <b>Durand</b>", "Un second avis"),
    ]
    first, reply = thread["first"], thread["reply"]
    assert items[1]["properties"]["parentItem"] == f"{ARTICLE_URL}#comment-{first['id']}"
    assert "parentItem" not in items[0]["properties"] and "parentItem" not in items[2]["properties"]
    assert items[0]["properties"]["dateCreated"] == first["created_at"].replace("Z", "+00:00")
    assert f'id="comment-{reply["id"]}"' in response.text
    assert "casino" not in response.text
    assert "<strong>avis</strong>" in response.text  # the comment's own sanitised HTML
    assert 'lang="fr"' in response.text


async def test_the_fragment_is_the_widgets_first_page(client, db):
    site, article = await make_site(db), unique_name("article")
    reader = await register(client)
    for n in range(FIRST_LIMIT + 1):
        await post_comment(client, reader, site, article, f"Commentaire {n}")
    items = comments_in((await fragment_of(client, site, article)).text)
    assert [item["properties"]["text"] for item in items] == [f"Commentaire {n}" for n in range(FIRST_LIMIT)]
    # The widget's own first request, which the fragment stands in for until the widget is ready.
    widget = (await client.get(f"/widget/{asset('widget.js').hashed_name}")).text
    served = re.sub(r"\s+", "", widget)  # served minified
    assert f'sort="{FIRST_SORT}"' in served and f"limit:{FIRST_LIMIT}" in served


async def test_the_fragment_answers_304_to_its_etag_until_the_thread_changes(client, thread):
    site, article = thread["site"], thread["article"]
    etag = (await fragment_of(client, site, article)).headers["etag"]
    unchanged = await fragment_of(client, site, article, **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    await post_comment(client, await register(client), site, article, "Du nouveau")
    changed = await fragment_of(client, site, article, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "Du nouveau" in changed.text


async def test_an_article_without_comments_is_an_empty_fragment_and_an_unknown_site_a_404(client, db):
    empty = await fragment_of(client, await make_site(db), unique_name("article"))
    assert empty.status_code == 200
    assert comments_in(empty.text) == []
    assert (await fragment_of(client, "no-such-site", "a")).status_code == 404


def parsed(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert response.headers["cache-control"].startswith("public")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


async def test_the_site_feed_is_valid_atom_of_the_latest_published_comments(client, thread):
    site = thread["site"]
    other = unique_name("article")
    elsewhere = await post_comment(
        client, await register(client, display_name="Chloé"), site, other, "Ailleurs"
    )
    response = await client.get(f"/feeds/{site}.atom")
    feed = parsed(response)
    first, reply, second = thread["first"], thread["reply"], thread["second"]
    newest_first = [elsewhere, second, reply, first]
    assert [entry.id.rsplit("/", 1)[1] for entry in feed.entries] == [str(c["id"]) for c in newest_first]
    assert len({entry.id for entry in feed.entries}) == 4
    assert all(entry.id.startswith("tag:") for entry in feed.entries)
    bob = "Bob <b>Durand</b>"
    assert [entry.author for entry in feed.entries] == ["Chloé", bob, bob, "Alice Martin"]
    oldest = feed.entries[-1]
    assert oldest.link == f"{ARTICLE_URL}#comment-{first['id']}"
    assert oldest.content[0].type == "text/html"
    assert "<strong>avis</strong>" in oldest.content[0].value
    assert not any("casino" in entry.content[0].value for entry in feed.entries)
    again = parsed(await client.get(f"/feeds/{site}.atom"))  # ids stay what they were
    assert [entry.id for entry in again.entries] == [entry.id for entry in feed.entries]
    etag = {"If-None-Match": response.headers["etag"]}
    assert (await client.get(f"/feeds/{site}.atom", headers=etag)).status_code == 304


async def test_the_article_feed_holds_that_articles_comments_and_revalidates(client, thread):
    site, article = thread["site"], thread["article"]
    await post_comment(client, await register(client), site, unique_name("article"), "Ailleurs")
    response = await client.get(f"/feeds/{site}/article.atom", params={"article": article})
    feed = parsed(response)
    assert [entry.content[0].value for entry in feed.entries] == [
        "<p>Un second avis</p>",
        "<p>Je réponds &amp; j'insiste</p>",
        "<p>Premier <strong>avis</strong></p>",
    ]
    assert "Un titre" in feed.feed.title
    assert feed.feed.link == ARTICLE_URL
    cached = await client.get(
        f"/feeds/{site}/article.atom",
        params={"article": article},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert cached.status_code == 304


async def test_an_unknown_site_has_no_feed_and_an_article_without_comments_an_empty_one(client, db):
    assert (await client.get("/feeds/no-such-site.atom")).status_code == 404
    missing = await client.get("/feeds/no-such-site/article.atom", params={"article": "a"})
    assert missing.status_code == 404
    assert (await client.get("/feeds/not-a-feed.rss")).status_code in (400, 404)
    empty = parsed(
        await client.get(f"/feeds/{await make_site(db)}/article.atom", params={"article": unique_name("a")})
    )
    assert empty.entries == []
