"""What everyone sees of an article, its title and URL: the site's moderators set them, never a
reader's first comment (any client can send what the widget would)."""

from __future__ import annotations

import re

import pytest

from commentsvc.domain.sites import DEMO_SITE
from tests.builders import make_moderator, make_site, post_comment, read_thread, register, unique_name
from tests.served import commentsvc, service_environment

ORIGIN = "https://news.example"


@pytest.fixture
async def site(db):
    return await make_site(db, origins=(ORIGIN,))


@pytest.fixture
def article():
    return unique_name("article")


async def describe(client, site: str, who, **body: object):
    return await client.put(f"/api/v1/sites/{site}/articles", json=body, headers=who.auth)


async def test_a_readers_first_comment_does_not_set_the_articles_title_and_url(client, db, site, article):
    reader = await register(client)
    await post_comment(
        client, reader, site, article, article_title="Fake title", article_url=f"{ORIGIN}/fake"
    )
    for viewer in (None, reader):
        thread = await read_thread(client, site, article, viewer)
        assert (thread["article"]["title"], thread["article"]["url"]) == (None, None)
    stored = await db.fetchrow("SELECT title, url FROM articles WHERE key = $1", article)
    assert (stored["title"], stored["url"]) == (None, None)


async def test_a_moderators_first_comment_sets_them_as_a_browser_reads_the_url(client, db, site, article):
    moderator = await make_moderator(client, db, site)
    await post_comment(
        client,
        moderator,
        site,
        article,
        article_title=" Le vrai titre ",
        article_url="HTTPS://NEWS.example:443/a b",
    )
    thread = await read_thread(client, site, article)
    assert (thread["article"]["title"], thread["article"]["url"]) == ("Le vrai titre", f"{ORIGIN}/a%20b")


async def test_a_moderator_sets_them_for_everyone_at_once_and_it_is_audited(client, db, site, article):
    reader, moderator = await register(client), await make_moderator(client, db, site)
    await post_comment(client, reader, site, article, article_title="Fake title")
    assert (await read_thread(client, site, article))["article"]["title"] is None  # now in the cache
    response = await describe(
        client, site, moderator, article=article, article_title="Le vrai titre", article_url=f"{ORIGIN}/vrai"
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "article": article,
        "article_title": "Le vrai titre",
        "article_url": f"{ORIGIN}/vrai",
    }
    thread = await read_thread(client, site, article)
    assert (thread["article"]["title"], thread["article"]["url"]) == ("Le vrai titre", f"{ORIGIN}/vrai")
    assert thread["article"]["comment_count"] == 1
    log = await client.get(f"/api/v1/sites/{site}/moderation/log", headers=moderator.auth)
    [entry] = [e for e in log.json()["entries"] if e["article_key"] == article]
    assert (entry["action"], entry["actor_id"]) == ("describe", moderator.id)


async def test_an_article_nobody_commented_on_can_be_described_beforehand(client, db, site, article):
    moderator = await make_moderator(client, db, site)
    response = await describe(client, site, moderator, article=article, article_title="Bientôt")
    assert response.status_code == 200, response.text
    thread = await read_thread(client, site, article)
    assert thread["article"]["title"] == "Bientôt" and thread["comments"] == []
    cleared = await describe(client, site, moderator, article=article)
    assert cleared.status_code == 200
    assert (await read_thread(client, site, article))["article"]["title"] is None


async def test_only_the_sites_moderators_describe_an_article(client, db, site, article):
    reader = await register(client)
    other_moderator = await make_moderator(client, db, await make_site(db, origins=(ORIGIN,)))
    for who in (reader, other_moderator):
        response = await describe(client, site, who, article=article, article_title="Mine now")
        assert response.status_code == 403, response.text
    assert await db.fetchval("SELECT count(*) FROM articles WHERE key = $1", article) == 0


@pytest.mark.parametrize(
    "url", ["https://evil.example/x", "https://evil.example\\@news.example/x", "https://u:p@news.example/"]
)
async def test_a_url_off_the_sites_origins_or_read_otherwise_by_browsers_is_refused(
    client, db, site, article, url
):
    moderator = await make_moderator(client, db, site)
    response = await describe(client, site, moderator, article=article, article_url=url)
    assert response.status_code == 400 and response.json()["field"] == "article_url"
    assert await db.fetchval("SELECT count(*) FROM articles WHERE key = $1", article) == 0


async def test_the_demo_article_keeps_its_title(client, settings):
    result = commentsvc("demo", env=service_environment(settings, COMMENTSVC_PUBLIC_URL=settings.public_url))
    assert result.returncode == 0, result.stderr
    page = (await client.get("/demo/article.html")).text
    key = re.search(r'data-article-id="([^"]+)"', page)[1]
    title = re.search(r'data-article-title="([^"]+)"', page)[1]
    # Signed in: straight from PostgreSQL, whatever other tests had cached of the demo article.
    thread = await read_thread(client, DEMO_SITE, key, await register(client))
    assert thread["article"]["title"] == title
    assert thread["article"]["url"] == f"{settings.public_url}/demo/article.html"
