"""Registering a site's webhooks (HTTP API and command line): only the site's admin may, a URL that
names a loopback, private or link-local address is refused, bad bodies name their field, the
secret is shown once. (Their deliveries: test_webhook_delivery.py.)"""

from __future__ import annotations

import pytest

from commentsvc.domain.roles import grant
from tests.builders import make_moderator, make_site, register, unique_name
from tests.served import commentsvc, service_environment

# A literal public address: registering it needs no DNS, and nothing is ever sent to it here.
PUBLIC_URL = "https://93.184.215.14/hooks/comments"


@pytest.fixture(scope="module")
async def admin(client, db):
    reader = await register(client, username=unique_name("admin"))
    await grant(db, reader.username, "admin", None)
    return reader


async def test_an_admin_registers_lists_and_removes_a_webhook(client, db, admin):
    site = await make_site(db)
    response = await client.post(
        f"/api/v1/sites/{site}/webhooks",
        json={"url": PUBLIC_URL, "events": ["comment.created", "comment.approved", "comment.created"]},
        headers=admin.auth,
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["url"] == PUBLIC_URL
    assert added["events"] == ["comment.approved", "comment.created"]
    assert added["secret"].startswith("whsec_") and len(added["secret"]) == len("whsec_") + 44

    listed = await client.get(f"/api/v1/sites/{site}/webhooks", headers=admin.auth)
    assert listed.status_code == 200
    assert listed.json() == {
        "webhooks": [{"id": added["id"], "url": PUBLIC_URL, "events": added["events"], "last_delivery": None}]
    }
    assert "whsec_" not in listed.text

    removed = await client.delete(f"/api/v1/sites/{site}/webhooks/{added['id']}", headers=admin.auth)
    assert removed.status_code == 204
    assert (await client.get(f"/api/v1/sites/{site}/webhooks", headers=admin.auth)).json() == {"webhooks": []}
    again = await client.delete(f"/api/v1/sites/{site}/webhooks/{added['id']}", headers=admin.auth)
    assert again.status_code == 404


async def test_a_webhook_of_another_site_cannot_be_removed_through_this_one(client, db, admin):
    site, other = await make_site(db), await make_site(db)
    added = await client.post(
        f"/api/v1/sites/{site}/webhooks",
        json={"url": PUBLIC_URL, "events": ["user.banned"]},
        headers=admin.auth,
    )
    response = await client.delete(f"/api/v1/sites/{other}/webhooks/{added.json()['id']}", headers=admin.auth)
    assert response.status_code == 404
    assert (
        len((await client.get(f"/api/v1/sites/{site}/webhooks", headers=admin.auth)).json()["webhooks"]) == 1
    )


async def test_only_an_admin_manages_webhooks_not_a_moderator_of_the_site(client, db, admin):
    site = await make_site(db)
    moderator = await make_moderator(client, db, site)
    body = {"url": PUBLIC_URL, "events": ["comment.created"]}
    added = await client.post(f"/api/v1/sites/{site}/webhooks", json=body, headers=admin.auth)
    path = f"/api/v1/sites/{site}/webhooks"
    for response in (
        await client.post(path, json=body, headers=moderator.auth),
        await client.get(path, headers=moderator.auth),
        await client.delete(f"{path}/{added.json()['id']}", headers=moderator.auth),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    assert (await client.get(path)).status_code == 401
    assert len((await client.get(path, headers=admin.auth)).json()["webhooks"]) == 1


async def test_webhooks_of_a_site_that_does_not_exist_are_not_found(client, admin):
    response = await client.post(
        "/api/v1/sites/no-such-site/webhooks",
        json={"url": PUBLIC_URL, "events": ["comment.created"]},
        headers=admin.auth,
    )
    assert response.status_code == 404
    assert (await client.get("/api/v1/sites/no-such-site/webhooks", headers=admin.auth)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": PUBLIC_URL, "events": []}, "events"),
        ({"url": PUBLIC_URL, "events": ["account.registered"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["comment.created", "comment.liked"]}, "events"),
        ({"url": PUBLIC_URL}, "events"),
        ({"events": ["comment.created"]}, "url"),
        ({"url": "ftp://93.184.215.14/", "events": ["comment.created"]}, "url"),
        ({"url": "/hooks/relative", "events": ["comment.created"]}, "url"),
        ({"url": "https://user:pass@93.184.215.14/", "events": ["comment.created"]}, "url"),
        ({"url": "https://93.184.215.14/" + "a" * 2000, "events": ["comment.created"]}, "url"),
        ({"url": PUBLIC_URL, "events": ["comment.created"], "secret": "mine"}, "secret"),
    ],
)
async def test_a_bad_body_is_refused_naming_its_field(client, db, admin, body, field):
    site = await make_site(db)
    response = await client.post(f"/api/v1/sites/{site}/webhooks", json=body, headers=admin.auth)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert (await client.get(f"/api/v1/sites/{site}/webhooks", headers=admin.auth)).json() == {"webhooks": []}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",  # a name that resolves to loopback only
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",  # 127.0.0.1 written as a number
    ],
)
async def test_a_url_that_reaches_a_private_address_is_refused(client, db, admin, url):
    site = await make_site(db)
    response = await client.post(
        f"/api/v1/sites/{site}/webhooks", json={"url": url, "events": ["comment.created"]}, headers=admin.auth
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "url"
    assert "public address" in response.json()["detail"]


@pytest.fixture(scope="module")
def env(settings):
    return service_environment(settings)


def test_the_command_line_adds_lists_and_removes_webhooks(env, settings):
    site = unique_name("site").lower().replace("_", "-")
    assert commentsvc("site", "create", site, "--origin", "https://a.example", env=env).returncode == 0
    private = {**env, "COMMENTSVC_WEBHOOK_ALLOW_PRIVATE": "true"}
    added = commentsvc(
        "webhook", "add", site, "http://127.0.0.1:9/hook", "--event", "comment.created",
        "--event", "user.banned", env=private,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    first, secret, warning = added.stdout.splitlines()
    webhook_id = first.split()[1]
    assert first == f"webhook {webhook_id} http://127.0.0.1:9/hook events=comment.created,user.banned"
    assert secret.startswith("secret whsec_")
    assert "not shown again" in warning

    listed = commentsvc("webhook", "list", site, env=env)
    assert listed.stdout.splitlines() == [
        f"webhook {webhook_id} http://127.0.0.1:9/hook events=comment.created,user.banned never sent"
    ]
    assert "whsec_" not in listed.stdout

    removed = commentsvc("webhook", "remove", site, webhook_id, env=env)
    assert removed.returncode == 0, removed.stderr
    assert commentsvc("webhook", "list", site, env=env).stdout == ""
    again = commentsvc("webhook", "remove", site, webhook_id, env=env)
    assert again.returncode == 1 and "no webhook" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://127.0.0.1/hook", "--event", "comment.created"], "url: 127.0.0.1 is not a public address"),
        (["https://93.184.215.14/", "--event", "account.registered"], "invalid choice"),
        (["https://93.184.215.14/"], "--event"),
        (["mailto:someone@example.org", "--event", "comment.created"], "url:"),
    ],
)
def test_bad_webhook_commands_fail_with_a_sentence(env, args, message):
    site = unique_name("site").lower().replace("_", "-")
    assert commentsvc("site", "create", site, "--origin", "https://a.example", env=env).returncode == 0
    result = commentsvc("webhook", "add", site, *args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
