"""Posting's request body: what the route takes (however the body is sent) and what it refuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.builders import make_site, post_comment, register, unique_name


@pytest.fixture
async def site(db):
    return await make_site(db, origins=("https://news.example",))


async def _streamed(body: dict) -> AsyncIterator[bytes]:
    yield json.dumps(body).encode()


async def _post(client, site, body, headers, streamed=False):
    """A streamed body is sent in chunks, without Content-Length."""
    content = _streamed(body) if streamed else json.dumps(body).encode()
    return await client.post(
        f"/api/v1/sites/{site}/comments",
        content=content,
        headers=headers | {"Content-Type": "application/json"},
    )


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_reply_is_taken_with_or_without_content_length_and_its_parent_id_as_a_string(
    client, site, streamed
):
    reader = await register(client)
    article = unique_name("article")
    parent = await post_comment(client, reader, site, article)
    # A number sent as a string is taken, as Litestar converts a JSON body.
    body = {"article": article, "body": "Réponse", "parent_id": str(parent["id"])}
    response = await _post(client, site, body, reader.auth, streamed)
    assert response.status_code == 201, response.text
    assert response.json()["parent_id"] == parent["id"]
    assert response.json()["body_html"] == "<p>Réponse</p>"


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"article": "a", "body": "b", "colour": "red"}, {}, "colour"),
        ({"article": "a", "body": 12}, {}, "body"),
        ({"article": "a", "body": "b", "parent_id": "deux"}, {}, "parent_id"),
        ({"article": "", "body": "b"}, {}, "article"),
        ({"article": "a", "body": "b"}, {"Idempotency-Key": "k" * 256}, "idempotency_key"),
    ],
)
async def test_a_body_or_key_out_of_the_contract_is_refused_and_nothing_is_stored(
    client, site, db, body, headers, field
):
    reader = await register(client)
    response = await _post(client, site, body, reader.auth | headers)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]
    on_site = "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id"
    assert await db.fetchval(f"{on_site} WHERE s.slug = $1", site) == 0


async def test_a_body_that_is_not_json_is_refused(client, site):
    reader = await register(client)
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        content=b'{"article": "a", "body": ',
        headers=reader.auth | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
