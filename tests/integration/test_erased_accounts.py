"""An erased account's access token, still unexpired, opens no signed-in route."""

from __future__ import annotations

from tests.builders import PASSWORD, make_moderator, make_site, post_comment, register, unique_name
from tests.contract.document import openapi_document

# Every route that needs a signed-in reader, with a body it would accept.
SIGNED_IN_ROUTES = {
    ("POST", "/api/v1/preview"): {"body": "Un aperçu"},
    ("GET", "/api/v1/me"): None,
    ("GET", "/api/v1/me/export"): None,
    ("DELETE", "/api/v1/me"): {"password": PASSWORD},
    ("GET", "/api/v1/me/notifications"): None,
    ("PUT", "/api/v1/me/notifications"): {"replies": True, "moderation": "off"},
    ("PATCH", "/api/v1/me"): {"display_name": "Encore moi"},
    ("POST", "/api/v1/me/password"): {
        "current_password": PASSWORD,
        "new_password": "another long passphrase",
    },
    ("POST", "/api/v1/me/email/verification"): None,
    ("POST", "/api/v1/sites/{site}/comments"): {"article": "{article}", "body": "Encore moi"},
    ("PATCH", "/api/v1/comments/{id}"): {"body": "Corrigé"},
    ("DELETE", "/api/v1/comments/{id}"): None,
    ("PUT", "/api/v1/comments/{id}/vote"): {"value": 1},
    ("POST", "/api/v1/comments/{id}/reports"): {"reason": "spam"},
    ("GET", "/api/v1/sites/{site}/moderation/queue"): None,
    ("GET", "/api/v1/sites/{site}/moderation/log"): None,
    ("POST", "/api/v1/sites/{site}/bans"): {"user_id": "{user_id}", "reason": "Pour voir"},
    ("DELETE", "/api/v1/sites/{site}/bans/{user_id}"): None,
    ("PUT", "/api/v1/sites/{site}/articles/lock"): {"article": "{article}", "locked": True},
    ("PUT", "/api/v1/sites/{site}/articles"): {"article": "{article}", "article_title": "Un titre"},
    ("POST", "/api/v1/moderation/items/{item_id}/decision"): {"action": "approve"},
    ("POST", "/api/v1/sites/{site}/moderation/bulk"): {"comment_ids": [1], "action": "reject"},
    ("GET", "/api/v1/sites/{site}/moderation/users/{user_id}"): None,
    ("GET", "/api/v1/sites/{site}/moderation/comments"): None,
    ("PUT", "/api/v1/comments/{id}/pin"): {"pinned": True},
    ("GET", "/api/v1/comments/{id}/history"): None,
    ("POST", "/api/v1/comments/{id}/appeal"): {"text": "Je conteste"},
    ("GET", "/api/v1/sites/{site}/settings"): None,
    ("PATCH", "/api/v1/sites/{site}/settings"): {"max_links": 3},
    ("POST", "/api/v1/sites/{site}/origins"): {"origin": "https://www.example.org"},
    ("DELETE", "/api/v1/sites/{site}/origins"): None,  # (?origin=, which the token never reaches)
    ("GET", "/api/v1/sites/{site}/moderators"): None,
    ("POST", "/api/v1/sites/{site}/moderators"): {"username": "{username}"},
    ("DELETE", "/api/v1/sites/{site}/moderators/{username}"): None,
    ("GET", "/api/v1/sites/{site}/sso"): None,
    ("POST", "/api/v1/sites/{site}/sso/secret"): None,
    ("POST", "/api/v1/sites/{site}/webhooks"): {
        "url": "https://93.184.215.14/hook",
        "events": ["comment.created"],
    },
    ("GET", "/api/v1/sites/{site}/webhooks"): None,
    ("DELETE", "/api/v1/sites/{site}/webhooks/{id}"): None,
    ("POST", "/api/v1/me/identities/link-code"): None,
    ("POST", "/api/v1/sites/{site}/imports"): None,
    ("GET", "/api/v1/sites/{site}/imports"): None,
    ("GET", "/api/v1/sites/{site}/imports/{id}"): None,
}


def test_the_table_names_every_signed_in_route():
    document = openapi_document()
    signed_in = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and operation.get("security")
    }
    assert signed_in == set(SIGNED_IN_ROUTES)


async def test_an_erased_accounts_access_token_gets_401_on_every_signed_in_route(client, db):
    site = await make_site(db)
    article = unique_name("article")
    other = await register(client)
    theirs = await post_comment(client, other, site, article)
    erased = await make_moderator(client, db, site)
    own = await post_comment(client, erased, site, article)
    report = await client.post(
        f"/api/v1/comments/{theirs['id']}/reports", json={"reason": "spam"}, headers=erased.auth
    )
    assert report.status_code == 202, report.text
    item_id = await db.fetchval("SELECT id FROM moderation_items WHERE comment_id = $1", theirs["id"])
    # Every route works for the account while it exists (these calls change nothing that matters).
    assert (
        await client.get(f"/api/v1/sites/{site}/moderation/queue", headers=erased.auth)
    ).status_code == 200
    gone = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=erased.auth)
    assert gone.status_code == 204

    values = {
        "site": site,
        "article": article,
        "user_id": other.id,
        "item_id": item_id,
        "username": other.username,
    }
    answers = {}
    for (method, template), body in SIGNED_IN_ROUTES.items():
        comment_id = own["id"] if method in ("PATCH", "DELETE") else theirs["id"]
        path = template.format(id=comment_id, **values)
        json_body = (
            {k: values[v[1:-1]] if isinstance(v, str) and v[1:-1] in values else v for k, v in body.items()}
            if body is not None
            else None
        )
        response = await client.request(method, path, json=json_body, headers=erased.auth)
        answers[f"{method} {template}"] = (response.status_code, response.headers.get("www-authenticate"))
    assert answers == {route: (401, "Bearer") for route in answers}
    # Nothing was done in its name.
    assert await db.fetchval("SELECT count(*) FROM votes WHERE user_id = $1", erased.id) == 0
    assert await db.fetchval("SELECT decision FROM moderation_items WHERE id = $1", item_id) is None
