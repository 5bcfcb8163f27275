"""Moderators' search of a site's comments (GET /api/v1/sites/{site}/moderation/comments): words
in any case and accent, in the site's language; every status; filters; pages that hold still;
nothing of another site; moderators only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commentsvc.domain.sites import update_site
from tests.builders import (
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
    unique_slug,
)


async def search(client, site: str, moderator, **params: object) -> dict:
    response = await client.get(
        f"/api/v1/sites/{site}/moderation/comments", params=params, headers=moderator.auth
    )
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict) -> list[int]:
    return [comment["id"] for comment in page["comments"]]


async def test_words_are_found_whatever_their_accents_and_case_and_never_on_another_site(client, db):
    site, other = await make_site(db), await make_site(db)
    article = unique_name("article")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    await make_moderator(client, db, other)
    pupil = await post_comment(client, author, site, article, "Une élève a posé la question.")
    shouting = await post_comment(client, author, site, article, "LES ÉLÈVES ONT RAISON")
    await post_comment(client, author, site, article, "Rien à voir ici.")
    await post_comment(client, author, other, article, "Une élève d'un autre site.")
    for words in ("eleve", "Élève", "ELEVES", "élèves"):
        assert ids(await search(client, site, moderator, q=words)) == [shouting["id"], pupil["id"]], words
    assert ids(await search(client, site, moderator, q="eleve -raison")) == [pupil["id"]]
    assert ids(await search(client, site, moderator, q='"posé la question"')) == [pupil["id"]]
    assert ids(await search(client, site, moderator, q="introuvable")) == []


async def test_a_site_in_english_is_read_in_english_and_read_again_when_its_language_changes(client, db):
    site = await make_site(db, language="en")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    running = await post_comment(client, author, site, unique_name("article"), "Running the CAFÉ was hard")
    assert ids(await search(client, site, moderator, q="run cafe")) == [running["id"]]
    # In French, "running" is no form of "run".
    await update_site(db, site, {"language": "fr"})
    assert ids(await search(client, site, moderator, q="run")) == []
    assert ids(await search(client, site, moderator, q="running")) == [running["id"]]


async def test_every_status_is_searched_and_each_result_says_what_a_moderator_needs(client, db):
    site = await make_site(db, origins=("https://news.example",), moderation="pre")
    article = f"/2026/{unique_name('tiers-lieu')}"
    author = await register(client, display_name="Alice Martin")
    moderator = await make_moderator(client, db, site)
    kept, removed = [await post_comment(client, author, site, article, f"Tiers-lieu {n}") for n in (1, 2)]
    items = {item["comment"]["id"]: item for item in await moderation_queue(client, site, moderator)}
    await decide(client, moderator, items[kept["id"]]["item_id"], action="approve")
    await decide(client, moderator, items[removed["id"]]["item_id"], action="reject", reason="Hors sujet")
    pending = await post_comment(client, author, site, article, "Tiers-lieu 3")

    page = await search(client, site, moderator, q="tiers-lieu")
    assert [(c["id"], c["status"]) for c in page["comments"]] == [
        (pending["id"], "pending"),
        (removed["id"], "rejected"),
        (kept["id"], "approved"),
    ]
    rejected = page["comments"][1]
    assert rejected["body"] == "Tiers-lieu 2" and rejected["moderation_reason"] == "Hors sujet"
    assert rejected["author"] == {
        "id": author.id,
        "username": author.username,
        "display_name": "Alice Martin",
    }
    assert rejected["article"] == {
        "key": article,
        "title": None,
        "url": None,
        "link": "https://news.example" + article,
        "locked": False,
    }
    assert page["next_cursor"] is None


async def test_each_filter_narrows_the_search(client, db):
    site = await make_site(db)
    first, second = unique_name("article"), unique_name("article")
    alice, bob = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    old = await post_comment(client, alice, site, first, "Vieux débat sur le vélo")
    bob_first = await post_comment(client, bob, site, first, "Le vélo en ville")
    bob_second = await post_comment(client, bob, site, second, "Le vélo à la campagne")
    await db.execute(
        "UPDATE comments SET created_at = $2 WHERE id = $1", old["id"], datetime(2025, 3, 1, 12, tzinfo=UTC)
    )
    own = await client.delete(f"/api/v1/comments/{bob_first['id']}", headers=bob.auth)
    assert own.status_code == 204

    async def found(**params: object) -> list[int]:
        return ids(await search(client, site, moderator, **params))

    everything = [bob_second["id"], bob_first["id"], old["id"]]
    assert await found() == everything
    assert await found(q="velo", status="deleted") == [bob_first["id"]]
    assert await found(status="approved") == [bob_second["id"], old["id"]]
    assert await found(author=str(bob.id)) == [bob_second["id"], bob_first["id"]]
    assert await found(author=alice.username.upper()) == [old["id"]]
    assert await found(author="nobody_at_all") == []
    assert await found(article=second) == [bob_second["id"]]
    assert await found(q="velo", article=first, author=str(bob.id)) == [bob_first["id"]]
    assert await found(**{"from": "2025-03-01", "to": "2025-03-01"}) == [old["id"]]
    assert await found(**{"to": "2025-03-01T12:00:00Z"}) == []
    assert await found(**{"from": "2025-03-01T13:00:00+01:00", "to": "2025-03-02"}) == [old["id"]]
    assert await found(**{"from": "2025-03-02"}) == everything[:2]


async def test_pages_hold_still_while_comments_arrive(client, db):
    site = await make_site(db)
    article = unique_name("article")
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    posted = [await post_comment(client, author, site, article, f"Réunion numéro {n}") for n in range(5)]
    first = await search(client, site, moderator, q="reunion", limit=2)
    assert ids(first) == [posted[4]["id"], posted[3]["id"]]
    await post_comment(client, author, site, article, "Réunion de dernière minute")
    second = await search(client, site, moderator, q="reunion", limit=2, cursor=first["next_cursor"])
    third = await search(client, site, moderator, q="reunion", limit=2, cursor=second["next_cursor"])
    assert ids(second) + ids(third) == [posted[n]["id"] for n in (2, 1, 0)]
    assert third["next_cursor"] is None


async def test_only_moderators_of_the_site_may_search(client, db):
    site, other = await make_site(db), await make_site(db)
    reader = await register(client)
    elsewhere = await make_moderator(client, db, other)
    path = f"/api/v1/sites/{site}/moderation/comments"
    assert (await client.get(path, headers=reader.auth)).status_code == 403
    assert (await client.get(path, headers=elsewhere.auth)).status_code == 403
    anonymous = await client.get(path)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert (
        await client.get(
            f"/api/v1/sites/no-{unique_slug()}/moderation/comments",
            headers=elsewhere.auth,
        )
    ).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "published"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"q": "x" * 201}, "q"),
        ({"q": "mot\x00"}, "q"),
        ({"author": "bob\x1b[31m"}, "author"),
        ({"article": "k" * 513}, "article"),
        ({"from": "hier"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "0001-01-01T00:00:00+14:00"}, "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"cursor": "not a cursor"}, "cursor"),
    ],
)
async def test_bad_parameters_are_refused_naming_the_field(client, db, params, field):
    site = await make_site(db)
    moderator = await make_moderator(client, db, site)
    response = await client.get(
        f"/api/v1/sites/{site}/moderation/comments", params=params, headers=moderator.auth
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
