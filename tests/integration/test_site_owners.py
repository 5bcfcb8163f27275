"""Site owners manage their site through the API: its settings (checked by the structure the
command line's flags are made from), origins, moderators, webhooks and SSO secret. Only an owner
of that site or an admin may (403 for its moderators and for another site's owners); a value
that is not allowed is a 400 naming it, and nothing changes; every change is in the audit log,
with what changed and never a secret."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from commentsvc.domain.roles import grant
from commentsvc.model.sites import SETTINGS
from tests.builders import Reader, make_moderator, make_site, post_comment, register, unique_name
from tests.host_site import host_token
from tests.served import commentsvc, service_environment

# A literal public address: registering it needs no DNS, and nothing is ever sent to it here.
HOOK_URL = "https://93.184.215.14/hooks/comments"


async def make_owner(client: httpx.AsyncClient, db: asyncpg.Connection, site: str) -> Reader:
    reader = await register(client, username=unique_name("owner"))
    await grant(db, reader.username, "owner", site)
    return reader


async def audit_log(client: httpx.AsyncClient, site: str, reader: Reader) -> list[dict]:
    response = await client.get(f"/api/v1/sites/{site}/moderation/log", headers=reader.auth)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def site_row(db: asyncpg.Connection, site: str) -> asyncpg.Record:
    return await db.fetchrow("SELECT * FROM sites WHERE slug = $1", site)


async def audit_rows(db: asyncpg.Connection, site: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT l.* FROM audit_log l JOIN sites s ON s.id = l.site_id WHERE s.slug = $1 ORDER BY l.id", site
    )


# Every owner route (the webhooks' included), with a body that would be accepted.
ROUTES = [
    ("GET", "/settings", None),
    ("PATCH", "/settings", {"max_links": 5}),
    ("POST", "/origins", {"origin": "https://other.example"}),
    ("DELETE", "/origins?origin=https://news.example", None),
    ("GET", "/moderators", None),
    ("POST", "/moderators", {"username": "nobody-in-particular"}),
    ("DELETE", "/moderators/nobody-in-particular", None),
    ("GET", "/sso", None),
    ("POST", "/sso/secret", None),
    ("GET", "/webhooks", None),
    ("POST", "/webhooks", {"url": HOOK_URL, "events": ["comment.created"]}),
    ("DELETE", "/webhooks/1", None),
]


async def call(client: httpx.AsyncClient, method: str, path: str, body: object, reader: Reader | None):
    return await client.request(method, path, json=body, headers=reader.auth if reader else {})


async def test_an_owner_reads_the_settings_with_what_each_may_be(client, db):
    site = await make_site(db, origins=("https://news.example", "https://www.news.example"), max_links=2)
    owner = await make_owner(client, db, site)
    response = await client.get(f"/api/v1/sites/{site}/settings", headers=owner.auth)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["site"], shown["name"]) == (site, site)
    assert shown["origins"] == ["https://news.example", "https://www.news.example"]
    assert shown["settings"]["max_links"] == 2
    assert shown["settings"]["distrust_ratio"] == 0.3  # as given, not as a 4-byte float reads back
    assert [field["name"] for field in shown["fields"]] == ["name", *SETTINGS]
    fields = {field["name"]: field for field in shown["fields"]}
    assert fields["max_links"] == {
        "name": "max_links",
        "kind": "integer",
        "description": "a comment with more links is held",
        "default": 3,
        "minimum": 0,
        "maximum": 1000,
        "choices": [],
    }
    assert fields["moderation"]["kind"] == "choice" and fields["moderation"]["choices"] == ["pre", "post"]
    assert fields["blocked_words"]["kind"] == "words"
    assert fields["hold_first_comment"]["kind"] == "boolean"
    assert "comment.created" in shown["webhook_events"]
    assert not any(event.startswith("account.") for event in shown["webhook_events"])


async def test_an_owner_changes_settings_and_the_audit_log_says_what_changed(client, db):
    site = await make_site(db)
    owner = await make_owner(client, db, site)
    response = await client.patch(
        f"/api/v1/sites/{site}/settings",
        json={
            "name": "Les Nouvelles",
            "moderation": "pre",
            "max_links": 7,
            "distrust_ratio": 0.3,  # as it is: not a change
            "blocked_words": ["Casino", " promo "],
        },
        headers=owner.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Les Nouvelles"
    assert response.json()["settings"]["blocked_words"] == ["casino", "promo"]
    row = await site_row(db, site)
    assert (row["name"], row["moderation"], row["max_links"]) == ("Les Nouvelles", "pre", 7)
    [entry] = await audit_log(client, site, owner)
    assert (entry["action"], entry["actor"]) == ("settings", owner.username)
    assert entry["change"] == {
        "name": [site, "Les Nouvelles"],
        "moderation": ["post", "pre"],
        "max_links": [3, 7],
        "blocked_words": [[], ["casino", "promo"]],
    }
    # The same again changes nothing, and says nothing.
    again = await client.patch(f"/api/v1/sites/{site}/settings", json={"max_links": 7}, headers=owner.auth)
    assert again.status_code == 200
    assert len(await audit_log(client, site, owner)) == 1


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"max_links": 5000}, "max_links", "max_links must be between 0 and 1000, not 5000."),
        ({"distrust_ratio": 1.5}, "distrust_ratio", "distrust_ratio must be between 0 and 1, not 1.5."),
        ({"burst_minutes": 0}, "burst_minutes", "burst_minutes must be between 1 and 1440, not 0."),
        ({"name": ""}, "name", "name must be between 1 and 200 characters long, not 0."),
        ({"moderation": "maybe"}, "moderation", None),
        ({"trust_after": "three"}, "trust_after", None),
        ({"hold_first_comment": "maybe"}, "hold_first_comment", None),
        ({"origins": ["https://elsewhere.example"]}, "origins", None),
        ({"colour": "blue"}, "colour", None),
    ],
)
async def test_a_value_a_setting_may_not_take_is_a_400_naming_it_and_nothing_changes(
    client, db, body, field, detail
):
    site = await make_site(db)
    owner = await make_owner(client, db, site)
    before = await site_row(db, site)
    response = await client.patch(
        f"/api/v1/sites/{site}/settings", json={"max_depth": 2, **body}, headers=owner.auth
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    if detail:
        assert response.json()["detail"] == detail
    assert await site_row(db, site) == before
    assert await audit_rows(db, site) == []


async def test_origins_are_added_and_removed_as_the_command_line_normalises_them(client, db):
    site = await make_site(db, origins=("https://news.example",))
    owner = await make_owner(client, db, site)
    path = f"/api/v1/sites/{site}/origins"
    added = await client.post(
        path, json={"origin": "HTTPS://Www.News.Example:443/articles"}, headers=owner.auth
    )
    assert added.status_code == 201, added.text
    assert added.json()["origins"] == ["https://news.example", "https://www.news.example"]
    again = await client.post(path, json={"origin": "https://www.news.example"}, headers=owner.auth)
    assert again.status_code == 201 and again.json()["origins"] == added.json()["origins"]

    removed = await client.delete(path, params={"origin": "https://news.example"}, headers=owner.auth)
    assert removed.status_code == 200, removed.text
    assert removed.json()["origins"] == ["https://www.news.example"]
    assert (await site_row(db, site))["origins"] == ["https://www.news.example"]

    entries = await audit_log(client, site, owner)
    assert [(e["action"], e["change"]) for e in entries] == [
        ("origin_remove", {"origin": "https://news.example"}),
        ("origin_add", {"origin": "https://www.news.example"}),
    ]


@pytest.mark.parametrize(
    ("method", "origin", "status", "detail"),
    [
        ("POST", "javascript:alert(1)", 400, None),
        ("POST", "https://user:pass@news.example", 400, None),
        ("POST", "https://news.example\\@evil.example", 400, None),
        ("DELETE", "https://not-there.example", 404, None),
        (
            "DELETE",
            "https://news.example",
            400,
            "origin: a site keeps at least one origin (its widget loads nowhere else); add the new one first.",
        ),
    ],
)
async def test_a_bad_origin_is_refused_naming_it_and_nothing_changes(
    client, db, method, origin, status, detail
):
    site = await make_site(db, origins=("https://news.example",))
    owner = await make_owner(client, db, site)
    before = await site_row(db, site)
    path = f"/api/v1/sites/{site}/origins"
    if method == "POST":
        response = await client.post(path, json={"origin": origin}, headers=owner.auth)
    else:
        response = await client.delete(path, params={"origin": origin}, headers=owner.auth)
    assert response.status_code == status, response.text
    assert response.json()["field"] == "origin"
    if detail:
        assert response.json()["detail"] == detail
    assert await site_row(db, site) == before
    assert await audit_rows(db, site) == []


async def test_an_owner_grants_and_revokes_moderators_by_username(client, db):
    site = await make_site(db, moderation="pre")
    owner = await make_owner(client, db, site)
    helper, author = await register(client), await register(client)
    await post_comment(client, author, site, unique_name("article"))
    queue = f"/api/v1/sites/{site}/moderation/queue"
    assert (await client.get(queue, headers=helper.auth)).status_code == 403

    path = f"/api/v1/sites/{site}/moderators"
    granted = await client.post(path, json={"username": helper.username.upper()}, headers=owner.auth)
    assert granted.status_code == 201, granted.text
    listed = {(m["username"], m["role"]) for m in granted.json()["moderators"]}
    assert listed == {(owner.username, "owner"), (helper.username, "moderator")}
    assert len((await client.get(queue, headers=helper.auth)).json()["items"]) == 1
    again = await client.post(path, json={"username": helper.username}, headers=owner.auth)
    assert again.status_code == 201

    revoked = await client.delete(f"{path}/{helper.username}", headers=owner.auth)
    assert revoked.status_code == 204, revoked.text
    assert (await client.get(queue, headers=helper.auth)).status_code == 403
    assert (await client.get(path, headers=owner.auth)).json()["moderators"] == [
        m for m in granted.json()["moderators"] if m["role"] == "owner"
    ]
    assert (await client.delete(f"{path}/{helper.username}", headers=owner.auth)).status_code == 404

    entries = await audit_log(client, site, owner)
    assert [(e["action"], e["target_username"], e["actor"]) for e in entries] == [
        ("moderator_revoke", helper.username, owner.username),
        ("moderator_grant", helper.username, owner.username),
    ]


async def test_granting_an_account_that_does_not_exist_names_the_username(client, db):
    site = await make_site(db)
    owner = await make_owner(client, db, site)
    response = await client.post(
        f"/api/v1/sites/{site}/moderators", json={"username": "nobody-by-that-name"}, headers=owner.auth
    )
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "username"
    assert await audit_rows(db, site) == []


async def test_an_owner_manages_the_webhooks_and_the_log_never_holds_their_secret(client, db):
    site = await make_site(db)
    owner = await make_owner(client, db, site)
    path = f"/api/v1/sites/{site}/webhooks"
    added = await client.post(path, json={"url": HOOK_URL, "events": ["comment.created"]}, headers=owner.auth)
    assert added.status_code == 201, added.text
    hook = added.json()
    assert [w["id"] for w in (await client.get(path, headers=owner.auth)).json()["webhooks"]] == [hook["id"]]
    assert (await client.delete(f"{path}/{hook['id']}", headers=owner.auth)).status_code == 204

    log = await client.get(f"/api/v1/sites/{site}/moderation/log", headers=owner.auth)
    assert hook["secret"] not in log.text and "whsec_" not in log.text
    assert [(e["action"], e["change"]) for e in log.json()["entries"]] == [
        ("webhook_remove", {"webhook": hook["id"], "url": HOOK_URL}),
        ("webhook_add", {"webhook": hook["id"], "url": HOOK_URL, "events": ["comment.created"]}),
    ]


async def test_an_owner_rotates_the_sso_secret_which_is_shown_once_and_signs_readers_in(client, db):
    site = await make_site(db)
    owner = await make_owner(client, db, site)
    path = f"/api/v1/sites/{site}/sso"
    before = await client.get(path, headers=owner.auth)
    assert before.status_code == 200
    assert before.json() == {"current_since": None, "previous_valid_until": None, "accounts": 0}

    rotated = await client.post(f"{path}/secret", headers=owner.auth)
    assert rotated.status_code == 201, rotated.text
    secret = rotated.json()["secret"]
    assert rotated.json()["status"]["current_since"] is not None
    signed_in = await client.post("/api/v1/auth/sso", json={"site": site, "token": host_token(secret, site)})
    assert signed_in.status_code == 200, signed_in.text

    after = await client.get(path, headers=owner.auth)
    assert secret not in after.text and after.json()["accounts"] == 1
    log = await client.get(f"/api/v1/sites/{site}/moderation/log", headers=owner.auth)
    assert secret not in log.text
    assert [(e["action"], e["change"]) for e in log.json()["entries"]] == [("sso_rotate", None)]


async def test_only_an_owner_of_the_site_or_an_admin_may_and_nothing_changes_otherwise(client, db):
    site, other_site = await make_site(db), await make_site(db)
    moderator = await make_moderator(client, db, site)
    owner_elsewhere = await make_owner(client, db, other_site)
    reader = await register(client)
    before = await site_row(db, site)
    for method, route, body in ROUTES:
        path = f"/api/v1/sites/{site}{route}"
        for caller in (moderator, owner_elsewhere, reader):
            response = await call(client, method, path, body, caller)
            assert response.status_code == 403, (method, route, caller.username, response.text)
            assert response.json()["code"] == "forbidden"
        assert (await call(client, method, path, body, None)).status_code == 401
    assert await site_row(db, site) == before
    assert await audit_rows(db, site) == []

    admin = await register(client, username=unique_name("admin"))
    await grant(db, admin.username, "admin", None)
    response = await client.patch(f"/api/v1/sites/{site}/settings", json={"max_links": 9}, headers=admin.auth)
    assert response.status_code == 200, response.text


async def test_an_owner_is_listed_in_me_and_moderates_the_site(client, db):
    site = await make_site(db)
    owner = await make_owner(client, db, site)
    roles = (await client.get("/api/v1/me", headers=owner.auth)).json()["roles"]
    assert roles == [{"role": "owner", "site": site}]
    queue = await client.get(f"/api/v1/sites/{site}/moderation/queue", headers=owner.auth)
    assert queue.status_code == 200, queue.text


async def test_a_site_that_does_not_exist_is_not_found(client, db):
    owner = await make_owner(client, db, await make_site(db))
    response = await client.get("/api/v1/sites/no-such-site/settings", headers=owner.auth)
    assert response.status_code == 404


async def test_the_command_line_grants_and_revokes_the_owner_role(client, db, settings):
    env = service_environment(settings)
    site = await make_site(db)
    reader = await register(client)
    granted = commentsvc("user", "grant", reader.username, "owner", "--site", site, env=env)
    assert (granted.returncode, granted.stdout) == (
        0,
        f"commentsvc: {reader.username} is now owner of {site}\n",
    )
    assert (await client.get(f"/api/v1/sites/{site}/settings", headers=reader.auth)).status_code == 200
    siteless = commentsvc("user", "grant", reader.username, "owner", env=env)
    assert siteless.returncode == 2
    assert siteless.stderr == (
        "commentsvc: site: a moderator or an owner belongs to one site (--site SLUG); an admin to none.\n"
    )
    revoked = commentsvc("user", "revoke", reader.username, "owner", "--site", site, env=env)
    assert revoked.stdout == f"commentsvc: {reader.username} is no longer owner of {site}\n"
    assert (await client.get(f"/api/v1/sites/{site}/settings", headers=reader.auth)).status_code == 403
