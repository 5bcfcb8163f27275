"""Signing in with a real OpenID provider on loopback: the certified `oidc-provider` package, run by
Node.js (tests/openid.py). A full sign-in, its keys rotated (an unknown `kid`, then found by asking
the provider again), and linking an identity to an account, which only its signed-in owner can ask
for and must confirm."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from commentsvc.config import Settings
from tests.builders import make_site, register
from tests.integration.oidc_flow import callback, outcome, refusal, service_with, start
from tests.integration.test_guest_claims import backup, import_backup, shown_authors
from tests.openid import NodeProvider, sign_in_at_provider, signing_key

pytestmark = pytest.mark.slow  # a Node.js process, started again to rotate its keys
SERVICE = "http://commentsvc.test"
FIRST, SECOND = signing_key("first"), signing_key("second")


@pytest.fixture(scope="module")
def provider() -> Iterator[NodeProvider]:
    node = NodeProvider(
        [f"{SERVICE}/auth/oidc/node/callback"], accounts={"unverified": {"email_verified": False}}
    )
    node.start(FIRST)
    yield node
    node.stop()


@pytest.fixture(scope="module")
async def service(settings: Settings, provider: NodeProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with service_with(settings, node=provider.issuer) as client:
        yield client


async def sign_in(service: httpx.AsyncClient, login: str, **query: str) -> httpx.Response:
    return await callback(
        service, await sign_in_at_provider(await start(service, "node", **query), login, SERVICE)
    )


async def test_a_reader_signs_in_at_the_provider_and_comes_back_signed_in(service, db):
    said = outcome(await sign_in(service, "camille"))
    assert said["outcome"] == "signed_in", said
    user = said["auth"]["user"]
    assert (user["username"], user["email"]) == ("camille", "camille@example.test")
    assert await db.fetchval("SELECT email_verified FROM users WHERE id = $1", user["id"]) is True
    again = outcome(await sign_in(service, "camille"))
    assert again["auth"]["user"]["id"] == user["id"]


async def test_an_address_the_provider_has_not_verified_stays_unverified(service, db):
    said = outcome(await sign_in(service, "unverified"))
    assert (
        await db.fetchval("SELECT email_verified FROM users WHERE id = $1", said["auth"]["user"]["id"])
        is False
    )


async def test_after_the_provider_rotates_its_keys_sign_ins_go_on(service, provider):
    assert outcome(await sign_in(service, "before-rotation"))["outcome"] == "signed_in"
    # The provider now signs with a key the service has not seen (an unknown kid): it asks again.
    provider.restart(SECOND, FIRST)
    try:
        assert outcome(await sign_in(service, "after-rotation"))["outcome"] == "signed_in"
    finally:
        provider.restart(FIRST)


async def test_linking_an_identity_needs_its_owner_signed_in_and_confirming(service, db):
    owner = await register(service, email="dominique@example.test")
    # Signed out, the identity with the owner's address is refused, not linked.
    assert refusal(await sign_in(service, "dominique")) == "email_in_use"
    code = await service.post("/api/v1/me/identities/link-code", headers=owner.auth)
    assert code.status_code == 201, code.text
    confirmation = outcome(await sign_in(service, "dominique", link=code.json()["code"]))
    assert confirmation["outcome"] == "confirm", confirmation
    assert (confirmation["username"], confirmation["email"]) == (owner.username, "dominique@example.test")
    # Nothing is linked until the reader confirms.
    assert await db.fetchval("SELECT count(*) FROM identities WHERE user_id = $1", owner.id) == 0
    linked = await service.post("/api/v1/auth/oidc/link", json={"token": confirmation["token"]})
    assert linked.status_code == 200 and linked.json() == {"provider": "node"}
    said = outcome(await sign_in(service, "dominique"))
    assert said["auth"]["user"]["id"] == owner.id


async def test_a_link_code_works_once(service):
    owner = await register(service)
    code = (await service.post("/api/v1/me/identities/link-code", headers=owner.auth)).json()["code"]
    await start(service, "node", link=code)
    response = await service.get("/auth/oidc/node/start", params={"link": code})
    assert response.status_code == 400 and refusal(response) == "bad_link"


async def test_an_identity_linked_to_one_account_is_not_linked_to_another(service):
    assert outcome(await sign_in(service, "morgan"))["outcome"] == "signed_in"
    other = await register(service)
    code = (await service.post("/api/v1/me/identities/link-code", headers=other.auth)).json()["code"]
    response = await sign_in(service, "morgan", link=code)
    assert response.status_code == 409 and refusal(response) == "identity_taken"


async def test_an_address_the_provider_vouches_for_claims_the_guests_imported_under_it(service, db, tmp_path):
    site = await make_site(db)
    await import_backup(db, site, backup(tmp_path, "sasha@example.test"))
    guest, bob = await shown_authors(service, site)
    said = outcome(await sign_in(service, "sasha"))
    user = said["auth"]["user"]
    # Served at once: the claim is made with the account, and the cached page refreshed.
    assert await shown_authors(service, site) == [(user["id"], user["display_name"]), bob]
    assert guest[0] != user["id"]
