"""An author's record on a site, as its moderators read it: account, standing, bans (in force and
past), and the latest comments of any status with their articles; nobody else's site."""

from __future__ import annotations

from tests.builders import (
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    register,
    unique_name,
)


async def author_record(client, site, moderator, user_id, status=200, **params):
    response = await client.get(
        f"/api/v1/sites/{site}/moderation/users/{user_id}", params=params, headers=moderator.auth
    )
    assert response.status_code == status, response.text
    return response.json()


async def test_the_record_holds_the_account_standing_bans_and_latest_comments(client, db):
    site, other_site = await make_site(db, moderation="pre", trust_after=3), await make_site(db)
    author = await register(client, display_name="Zoé")
    moderator = await make_moderator(client, db, site)
    first, second = unique_name("article"), unique_name("article")
    await db.execute(
        "INSERT INTO articles (site_id, key, title) SELECT id, $2, 'Un titre' FROM sites WHERE slug = $1",
        site,
        first,
    )
    posted = []
    for action, article in (("approve", first), ("approve", second), ("reject", first)):
        posted.append(await post_comment(client, author, site, article))
        [item] = await moderation_queue(client, site, moderator)
        await decide(client, moderator, item["item_id"], action=action, reason="Hors sujet")
    posted.append(await post_comment(client, author, site, second))  # still held: 2 of 3 approved
    await post_comment(client, author, other_site, first)  # another site's: not in this record
    url = f"/api/v1/sites/{site}/bans"
    for ban in ({"user_id": author.id, "reason": "Insultes", "days": 7}, None):
        if ban:
            assert (await client.post(url, json=ban, headers=moderator.auth)).status_code == 201
        else:
            assert (await client.delete(f"{url}/{author.id}", headers=moderator.auth)).status_code == 204
    banned = await client.post(url, json={"user_id": author.id, "reason": "Récidive"}, headers=moderator.auth)
    assert banned.status_code == 201

    record = await author_record(client, site, moderator, author.id)

    account = record["account"]
    assert (account["id"], account["username"], account["display_name"]) == (
        author.id,
        author.username,
        "Zoé",
    )
    assert record["standing"] == {"approved": 2, "rejected": 1, "trusted": False}
    assert record["ban"]["until"] is None and record["ban"]["reason"] == "Récidive"
    assert record["ban"]["banned_by"] == moderator.username
    assert [(b["action"], b["reason"], b["by"]) for b in record["bans"]] == [
        ("ban", "Récidive", moderator.username),
        ("unban", None, moderator.username),
        ("ban", "Insultes", moderator.username),
    ]
    shown = [(c["comment"]["id"], c["comment"]["status"], c["article"]["key"]) for c in record["comments"]]
    assert shown == [
        (posted[3]["id"], "pending", second),
        (posted[2]["id"], "rejected", first),
        (posted[1]["id"], "approved", second),
        (posted[0]["id"], "approved", first),
    ]
    assert record["comments"][1]["comment"]["moderation_reason"] == "Hors sujet"
    assert record["comments"][1]["article"]["title"] == "Un titre"
    assert [
        c["comment"]["id"]
        for c in (await author_record(client, site, moderator, author.id, limit=2))["comments"]
    ] == [
        posted[3]["id"],
        posted[2]["id"],
    ]


async def test_a_trusted_author_and_one_who_never_wrote_here(client, db):
    site = await make_site(db, trust_after=1)
    author, stranger = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    await post_comment(client, author, site, unique_name("article"))
    assert (await author_record(client, site, moderator, author.id))["standing"] == {
        "approved": 1,
        "rejected": 0,
        "trusted": True,
    }
    record = await author_record(client, site, moderator, stranger.id)
    assert (record["standing"], record["ban"], record["bans"], record["comments"]) == (
        {"approved": 0, "rejected": 0, "trusted": False},
        None,
        [],
        [],
    )


async def test_only_the_sites_moderators_read_it(client, db):
    site, other_site = await make_site(db), await make_site(db)
    author = await register(client)
    moderator, other_moderator = (
        await make_moderator(client, db, site),
        await make_moderator(client, db, other_site),
    )
    await post_comment(client, author, site, unique_name("article"))
    url = f"/api/v1/sites/{site}/moderation/users/{author.id}"
    anonymous = await client.get(url)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    for caller in (author, other_moderator):
        assert (await client.get(url, headers=caller.auth)).status_code == 403
    await author_record(client, site, moderator, 999_999_999, status=404)
    await author_record(client, "no-such-site", moderator, author.id, status=404)
    await author_record(client, site, moderator, author.id, status=400, limit=101)
