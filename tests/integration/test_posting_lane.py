"""Posting's lane (api/posting.py) serves a well-formed post without Litestar's parameter and
response machinery, and passes anything else on to the route. Both must answer alike."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.builders import make_site, post_comment, register, unique_name

# What differs from one answer to the next whatever served it.
PER_RESPONSE_HEADERS = {"content-length", "x-request-id", "date"}


@pytest.fixture
async def site(db):
    return await make_site(db, origins=("https://news.example",))


async def _streamed(body: dict) -> AsyncIterator[bytes]:
    yield json.dumps(body).encode()


async def _post(client, site, body, headers, streamed):
    """A streamed body carries no Content-Length: the lane leaves such a request to the route."""
    content = _streamed(body) if streamed else json.dumps(body).encode()
    return await client.post(
        f"/api/v1/sites/{site}/comments",
        content=content,
        headers=headers | {"Content-Type": "application/json"},
    )


def _shape(response) -> tuple[int, dict[str, str], dict]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_RESPONSE_HEADERS}
    answer = response.json()
    volatile = ("id", "created_at", "body", "body_html")
    return response.status_code, headers, {k: v for k, v in answer.items() if k not in volatile}


async def test_the_lane_and_the_route_answer_a_post_and_its_replay_alike(client, site):
    reader = await register(client)
    article = unique_name("article")
    parent = await post_comment(client, reader, site, article)
    answers = {}
    for streamed in (False, True):
        # A number sent as a string is taken, as Litestar converts a body.
        body = {"article": article, "body": f"Réponse {streamed}", "parent_id": str(parent["id"])}
        headers = reader.auth | {"Idempotency-Key": str(uuid.uuid4())}
        first = await _post(client, site, body, headers, streamed)
        replay = await _post(client, site, body, headers, streamed)
        assert first.status_code == 201, first.text
        assert replay.json()["id"] == first.json()["id"]
        assert replay.headers["idempotent-replayed"] == "true"
        assert first.json()["body_html"] == f"<p>Réponse {streamed}</p>"
        answers[streamed] = (_shape(first), _shape(replay))
    assert answers[False] == answers[True]
    assert answers[False][0][2]["parent_id"] == parent["id"]


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
async def test_what_the_lane_passes_on_is_refused_by_the_route(client, site, db, body, headers, field):
    reader = await register(client)
    response = await _post(client, site, body, reader.auth | headers, streamed=False)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]
    on_site = "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id"
    assert await db.fetchval(f"{on_site} WHERE s.slug = $1", site) == 0


async def test_a_body_that_is_not_json_is_refused_by_the_route(client, site):
    reader = await register(client)
    response = await client.post(
        f"/api/v1/sites/{site}/comments",
        content=b'{"article": "a", "body": ',
        headers=reader.auth | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


async def test_the_lane_asks_for_a_sign_in_as_the_route_does(client, site):
    response = await _post(client, site, {"article": "a", "body": "b"}, {}, streamed=False)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
