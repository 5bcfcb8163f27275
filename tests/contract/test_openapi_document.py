"""The OpenAPI document describes exactly the contract of /work/shared/spec/API.md:
its routes with their methods and success statuses, errors in one shape, bearer
auth on protected routes, and request bodies that refuse unknown fields."""

from __future__ import annotations

import pytest

from tests.contract.document import openapi_document

# Every route of the contract (API.md), with its success status.
CONTRACT = {
    ("POST", "/api/v1/auth/register"): "201",
    ("POST", "/api/v1/auth/login"): "200",
    ("POST", "/api/v1/auth/refresh"): "200",
    ("POST", "/api/v1/auth/logout"): "204",
    ("GET", "/api/v1/me"): "200",
    ("GET", "/api/v1/me/export"): "200",
    ("DELETE", "/api/v1/me"): "204",
    ("POST", "/api/v1/auth/password/forgot"): "202",
    ("POST", "/api/v1/auth/password/reset"): "204",
    ("POST", "/api/v1/auth/email/verify"): "204",
    ("POST", "/api/v1/me/email/verification"): "202",
    ("POST", "/api/v1/me/password"): "204",
    ("PATCH", "/api/v1/me"): "200",
    ("GET", "/api/v1/sites/{site}/comments"): "200",
    ("POST", "/api/v1/sites/{site}/comments"): "201",
    ("PATCH", "/api/v1/comments/{id}"): "200",
    ("DELETE", "/api/v1/comments/{id}"): "204",
    ("PUT", "/api/v1/comments/{id}/vote"): "200",
    ("POST", "/api/v1/comments/{id}/reports"): "202",
    ("GET", "/api/v1/sites/{site}/counts"): "200",
    ("GET", "/api/v1/sites/{site}/moderation/queue"): "200",
    ("POST", "/api/v1/moderation/items/{item_id}/decision"): "200",
    ("GET", "/api/v1/sites/{site}/moderation/log"): "200",
    ("POST", "/api/v1/sites/{site}/bans"): "201",
    ("DELETE", "/api/v1/sites/{site}/bans/{user_id}"): "204",
    ("PUT", "/api/v1/sites/{site}/articles/lock"): "200",
    ("POST", "/api/v1/sites/{site}/webhooks"): "201",
    ("GET", "/api/v1/sites/{site}/webhooks"): "200",
    ("DELETE", "/api/v1/sites/{site}/webhooks/{id}"): "204",
    ("GET", "/api/v1/me/notifications"): "200",
    ("PUT", "/api/v1/me/notifications"): "200",
    ("POST", "/unsubscribe"): "200",
    ("POST", "/api/v1/auth/sso"): "200",
    ("GET", "/api/v1/sites/{site}/moderation/comments"): "200",
    ("GET", "/healthz"): "200",
    ("GET", "/readyz"): "200",
    ("GET", "/metrics"): "200",
    # Version 1.1, "Moderation, further".
    ("GET", "/api/v1/comments/{id}/history"): "200",
    ("POST", "/api/v1/comments/{id}/appeal"): "202",
    ("POST", "/api/v1/sites/{site}/moderation/bulk"): "200",
    ("GET", "/api/v1/sites/{site}/moderation/users/{user_id}"): "200",
    ("PUT", "/api/v1/comments/{id}/pin"): "200",
    # Version 1.1, "Live updates, indexable comments, feeds". Litestar's path parameters are whole
    # segments: `/feeds/{site}.atom` is `/feeds/{feed}`, whose pattern asks for the slug and ".atom".
    ("GET", "/api/v1/sites/{site}/comments.html"): "200",
    ("GET", "/feeds/{feed}"): "200",
    ("GET", "/feeds/{site}/article.atom"): "200",
    ("GET", "/api/v1/sites/{site}/live"): "200",
}
# Additions to the contract (allowed: additive), documented in the README.
ADDITIONS = {
    ("POST", "/api/v1/preview"): "200",
    ("PUT", "/api/v1/sites/{site}/articles"): "200",
    ("GET", "/api/v1/moderation/decisions/by-link"): "200",
    ("POST", "/api/v1/moderation/decisions/by-link"): "200",
    # Linking an identity at a provider (OpenID Connect) to one's account: the popup's code, the confirmation.
    ("POST", "/api/v1/me/identities/link-code"): "201",
    ("POST", "/api/v1/auth/oidc/link"): "200",
    # A site's owners manage it (API 1.1, "Site owners"): settings, origins, moderators, SSO secret.
    ("GET", "/api/v1/sites/{site}/settings"): "200",
    ("PATCH", "/api/v1/sites/{site}/settings"): "200",
    ("POST", "/api/v1/sites/{site}/origins"): "201",
    ("DELETE", "/api/v1/sites/{site}/origins"): "200",
    ("GET", "/api/v1/sites/{site}/moderators"): "200",
    ("POST", "/api/v1/sites/{site}/moderators"): "201",
    ("DELETE", "/api/v1/sites/{site}/moderators/{username}"): "204",
    ("GET", "/api/v1/sites/{site}/sso"): "200",
    ("POST", "/api/v1/sites/{site}/sso/secret"): "201",
    # Imports from the dashboard: the upload, queued (202), and the site's imports.
    ("POST", "/api/v1/sites/{site}/imports"): "202",
    ("GET", "/api/v1/sites/{site}/imports"): "200",
    ("GET", "/api/v1/sites/{site}/imports/{id}"): "200",
}
PUBLIC = {
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/password/forgot"),
    ("POST", "/api/v1/auth/password/reset"),
    ("POST", "/api/v1/auth/email/verify"),
    ("POST", "/api/v1/auth/sso"),
    ("GET", "/api/v1/sites/{site}/comments"),
    ("GET", "/api/v1/sites/{site}/counts"),
    ("GET", "/api/v1/sites/{site}/comments.html"),
    ("GET", "/feeds/{feed}"),
    ("GET", "/feeds/{site}/article.atom"),
    ("GET", "/api/v1/sites/{site}/live"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    # An e-mailed link's token is the credential: no sign-in.
    ("GET", "/api/v1/moderation/decisions/by-link"),
    ("POST", "/api/v1/moderation/decisions/by-link"),
    ("POST", "/unsubscribe"),
    # The confirmation's signed token is the credential: the popup holds no access token.
    ("POST", "/api/v1/auth/oidc/link"),
}
# RFC 8058's one-click unsubscribing, which mail clients post as a form (the token in its URL
# acts, not a sign-in).
ONE_CLICK = ("POST", "/unsubscribe")
# An import's upload: the file itself is the body.
UPLOAD = ("POST", "/api/v1/sites/{site}/imports")
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}

DOCUMENT = openapi_document()
OPERATIONS = {
    (method.upper(), path): operation
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "responses" in operation
}


def test_the_document_has_exactly_the_contract_routes():
    assert set(OPERATIONS) == set(CONTRACT) | set(ADDITIONS)


@pytest.mark.parametrize(("route", "status"), sorted({**CONTRACT, **ADDITIONS}.items()))
def test_each_route_documents_its_success_status(route, status):
    responses = OPERATIONS[route]["responses"]
    assert [code for code in responses if code.startswith("2")] == [status]


@pytest.mark.parametrize("route", sorted(set(OPERATIONS) - PUBLIC))
def test_protected_routes_need_a_bearer_token_and_say_401(route):
    operation = OPERATIONS[route]
    assert operation["security"] == [{"bearer": []}]
    assert operation["responses"]["401"]["content"]["application/json"]["schema"] == ERROR_BODY


@pytest.mark.parametrize(
    "route",
    sorted(r for r in OPERATIONS if {"moderation", "owners", "webhooks"} & set(OPERATIONS[r]["tags"])),
)
def test_moderation_routes_say_403_for_readers_without_the_role(route):
    assert "403" in OPERATIONS[route]["responses"]


def test_every_error_has_the_one_error_shape():
    not_error_body = [
        (route, code)
        for route, operation in OPERATIONS.items()
        for code, response in operation["responses"].items()
        if code >= "400" and response["content"]["application/json"]["schema"] != ERROR_BODY
    ]
    # Readiness says which backend is down, in its own shape.
    assert not_error_body == [(("GET", "/readyz"), "503")]


@pytest.mark.parametrize(
    "route", sorted(r for r in OPERATIONS if "requestBody" in OPERATIONS[r] and r not in (ONE_CLICK, UPLOAD))
)
def test_request_bodies_are_json_that_refuses_unknown_fields_and_say_400_413_415(route):
    operation = OPERATIONS[route]
    [(media_type, content)] = operation["requestBody"]["content"].items()
    assert media_type == "application/json"
    component = DOCUMENT["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[1]]
    assert component["additionalProperties"] is False
    assert {"400", "413", "415"} <= set(operation["responses"])


def test_one_click_unsubscribing_takes_the_form_mail_clients_send():
    operation = OPERATIONS[ONE_CLICK]
    [(media_type, content)] = operation["requestBody"]["content"].items()
    assert media_type == "application/x-www-form-urlencoded"
    assert content["schema"]["properties"] == {"List-Unsubscribe": {"type": "string", "const": "One-Click"}}
    assert operation["requestBody"]["required"] is False


def test_an_import_is_uploaded_as_the_file_itself_and_says_400_413_415():
    operation = OPERATIONS[UPLOAD]
    assert operation["requestBody"]["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }
    assert operation["requestBody"]["required"] is True
    assert {"400", "403", "413", "415"} <= set(operation["responses"])
