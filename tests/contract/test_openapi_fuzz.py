"""Schemathesis against a served instance: every operation of the OpenAPI document
is called with generated requests, valid and invalid, and every answer must be
documented: no 5xx, no undocumented status code, a body that matches the
documented schema, the documented content type.

Two passes: random requests (mostly by a signed-in reader, a moderator on the
moderation routes, the site's owner on the owners' routes), whose parameters and a few body fields are swapped for rows
that exist (the site, its article, comments, queue items, readers) some of the
time so they get past the 404s; then every boundary and kind of wrong value of
each parameter and field in turn, against existing rows.

Deterministic: a fixed seed, derandomised generation and no example database
(Hypothesis keeps only caches in .hypothesis/, which git ignores)."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commentsvc.config import Settings
from commentsvc.domain.decision_links import decision_url
from commentsvc.domain.links import Links
from commentsvc.domain.roles import grant
from tests.builders import Reader, make_moderator, make_site, post_comment, register, unique_name
from tests.contract.document import openapi_document
from tests.served import serve

SEED = 20261125
# Examples per operation: about a minute for the whole document on this machine.
MAX_EXAMPLES = 40
# A request that hangs fails the test instead of stalling the suite. (No per-example
# Hypothesis deadline: on a shared 2-core machine that would be a timing assertion.)
REQUEST_TIMEOUT_SECONDS = 15
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


def _schema(**phases: dict[str, bool]) -> BaseSchema:
    config = {
        "seed": SEED,
        "request-timeout": REQUEST_TIMEOUT_SECONDS,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": phases,
    }
    return schemathesis.openapi.from_dict(openapi_document(), config=SchemathesisConfig.from_dict(config))


# Random requests (Schemathesis' fuzzing phase).
fuzzing = _schema()
# Every boundary and every kind of wrong value, each parameter and field in turn (the coverage phase).
boundaries = _schema(fuzzing={"enabled": False}, examples={"enabled": False})


@dataclasses.dataclass
class Rows:
    """Who calls, and what exists, by the name of the parameter or field that refers to it."""

    reader: Reader
    moderator: Reader
    owner: Reader
    existing: dict[str, list[Any]]


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[str]:
    with serve(settings, workers=1) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def rows(service: str, db, settings: Settings) -> Rows:
    """A site with one article: the reader's comments (the fuzz edits and deletes some),
    another reader's reply, a held comment and a reported one, both claimed by the moderator."""
    site = await make_site(db, blocked_words=["casino"])
    article = unique_name("article")
    async with httpx.AsyncClient(base_url=service) as client:
        reader, other = await register(client), await register(client)
        moderator = await make_moderator(client, db, site)
        owner = await register(client, username=unique_name("owner"))
        await grant(db, owner.username, "owner", site)
        own = [(await post_comment(client, reader, site, article))["id"] for _ in range(6)]
        reply = await post_comment(client, other, site, article, parent_id=own[0])
        held = await post_comment(client, other, site, article, "Le casino du coin")
        response = await client.post(
            f"/api/v1/comments/{own[-1]}/reports", json={"reason": "spam"}, headers=other.auth
        )
        assert response.status_code == 202, response.text
        response = await client.get(f"/api/v1/sites/{site}/moderation/queue", headers=moderator.auth)
        assert response.status_code == 200, response.text
        items = [item["item_id"] for item in response.json()["items"]]
    assert held["status"] == "pending" and len(items) == 2
    comments = [*own, reply["id"], held["id"]]
    return Rows(
        reader,
        moderator,
        owner,
        {
            "site": [site],
            "article": [article],
            "id": comments,
            "parent_id": comments,
            "item_id": items,
            "user_id": [reader.id, other.id],
            # The e-mailed decision links of the queue's items, the moderator's.
            "token": [decision_token(settings, item, moderator) for item in items],
        },
    )


def decision_token(settings: Settings, item_id: int, moderator: Reader) -> str:
    # For the revision its comment was posted at (one the fuzz edits is refused with a 409).
    return httpx.URL(decision_url(Links(settings), item_id, 1, moderator.id, "fr")).params["token"]


async def test_the_served_document_is_the_one_fuzzed(service: str) -> None:
    async with httpx.AsyncClient(base_url=service) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json() == fuzzing.raw_schema


def point_at_existing_rows(case, data: st.DataObject, rows: Rows) -> None:
    """Each parameter or field that names a row keeps its generated value or becomes an existing row."""
    for container in (case.path_parameters, case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name, generated in container.items():
            if name in rows.existing:
                existing = rows.existing[name]
                # `?article=` repeats on /counts: existing keys in the generated shape.
                choices = [[value] for value in existing] if isinstance(generated, list) else existing
                container[name] = data.draw(st.sampled_from([generated, *choices]), label=name)


def callers(case, rows: Rows) -> tuple[Reader, Reader]:
    """Whom the route is for, then the other role."""
    if "owners" in (case.operation.tags or []):
        return rows.owner, rows.moderator
    if "moderation" in (case.operation.tags or []):
        return rows.moderator, rows.reader
    return rows.reader, rows.moderator


@fuzzing.parametrize()
@fuzzing.given(data=st.data())
def test_every_answer_is_documented(case, data: st.DataObject, service: str, rows: Rows) -> None:
    point_at_existing_rows(case, data, rows)
    # Mostly whom the route is for; sometimes the other role (403s, a moderator's deletions)
    # or nobody (401s, and the anonymous thread pages that are cached).
    usual, other = callers(case, rows)
    caller = data.draw(st.sampled_from([usual, usual, other, None]), label="caller")
    case.call_and_validate(base_url=service, headers=caller.auth if caller else {}, checks=CHECKS)


@boundaries.parametrize()
def test_every_answer_at_the_boundaries_is_documented(case, service: str, rows: Rows) -> None:
    # Path parameters name an existing row unless the case is about that parameter, so the
    # bodies' and queries' boundaries reach the domain's checks, not a 404. One row per
    # operation: one operation's deletions leave the others' rows alone.
    about = case.meta.phase.data.parameter if case.meta else None
    for name in case.path_parameters or {}:
        if name in rows.existing and name != about:
            existing = rows.existing[name]
            case.path_parameters[name] = existing[zlib.crc32(case.operation.label.encode()) % len(existing)]
    case.call_and_validate(base_url=service, headers=callers(case, rows)[0].auth, checks=CHECKS)
