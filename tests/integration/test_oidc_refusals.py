"""Signing in with an OpenID provider, refused end to end through the callback whenever the answer
cannot be trusted: another browser's or a replayed state, an ID token for another sign-in (nonce),
another client (audience), expired, or signed with a key the provider does not publish. The
provider is a forging one on loopback (tests/openid.py): each test writes the ID token it sends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from commentsvc.config import Settings
from tests.builders import register
from tests.integration.oidc_flow import at_forger, callback, outcome, refusal, service_with, start
from tests.openid import ForgingProvider, signing_key


@pytest.fixture(scope="module")
async def forger() -> AsyncIterator[ForgingProvider]:
    provider = ForgingProvider()
    await provider.start()
    yield provider
    await provider.stop()


@pytest.fixture(scope="module")
async def service(settings: Settings, forger: ForgingProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with service_with(settings, forged=forger.issuer) as client:
        yield client


@pytest.fixture(autouse=True)
def honest(forger: ForgingProvider) -> None:
    """Each test starts with a provider that forges nothing, for a person of its own."""
    forger.forge = lambda claims, header: None
    forger.subject = f"person-{uuid.uuid4().hex[:8]}"
    forger.email = f"{forger.subject}@example.test"


async def identities_of(db: asyncpg.Connection, subject: str) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM identities WHERE provider = 'forged' AND subject = $1", subject
    )


async def test_a_reader_signs_in_with_a_provider_and_gets_an_account(service, forger, db):
    response = await callback(service, await at_forger(await start(service, "forged", lang="en")))
    said = outcome(response)
    assert response.status_code == 200 and said["outcome"] == "signed_in", said
    assert said["origin"] == "http://commentsvc.test"
    me = await service.get("/api/v1/me", headers={"Authorization": f"Bearer {said['auth']['access_token']}"})
    assert me.json()["email"] == forger.email and me.json()["username"].startswith("forged")
    account = await db.fetchrow(
        "SELECT email_verified, password_hash, language FROM users WHERE id = $1", me.json()["id"]
    )
    assert (account["email_verified"], account["password_hash"], account["language"]) == (True, None, "en")
    # Signing in again reaches the same account.
    again = outcome(await callback(service, await at_forger(await start(service, "forged"))))
    assert again["auth"]["user"]["id"] == me.json()["id"]
    assert await identities_of(db, forger.subject) == 1


async def test_an_address_the_provider_does_not_say_it_verified_counts_as_unverified(service, forger, db):
    forger.forge = lambda claims, header: forger.token({**claims, "email_verified": False})
    said = outcome(await callback(service, await at_forger(await start(service, "forged"))))
    user_id = said["auth"]["user"]["id"]
    assert await db.fetchval("SELECT email_verified FROM users WHERE id = $1", user_id) is False


async def test_an_answer_to_a_sign_in_started_in_another_browser_is_refused(service, forger, db):
    first = await start(service, "forged")
    await start(service, "forged")  # the browser's cookie now names the second sign-in
    response = await callback(service, await at_forger(first))
    assert response.status_code == 401 and refusal(response) == "state_mismatch"
    assert await identities_of(db, forger.subject) == 0


async def test_a_callback_replayed_is_refused(service, forger):
    url = await at_forger(await start(service, "forged"))
    assert outcome(await callback(service, url))["outcome"] == "signed_in"
    assert refusal(await callback(service, url)) == "state_mismatch"


async def test_an_id_token_for_another_sign_in_is_refused(service, forger, db):
    forger.forge = lambda claims, header: forger.token({**claims, "nonce": "another sign-in's nonce"})
    response = await callback(service, await at_forger(await start(service, "forged")))
    assert response.status_code == 401 and refusal(response) == "nonce_mismatch"
    assert await identities_of(db, forger.subject) == 0


async def test_an_id_token_issued_to_another_client_is_refused(service, forger, db):
    forger.forge = lambda claims, header: forger.token({**claims, "aud": "another-client"})
    assert (
        refusal(await callback(service, await at_forger(await start(service, "forged")))) == "wrong_audience"
    )
    assert await identities_of(db, forger.subject) == 0


async def test_an_expired_id_token_is_refused(service, forger, db):
    forger.forge = lambda claims, header: forger.token(
        {**claims, "iat": claims["iat"] - 900, "exp": claims["iat"] - 600}
    )
    assert (
        refusal(await callback(service, await at_forger(await start(service, "forged")))) == "token_expired"
    )
    assert await identities_of(db, forger.subject) == 0


async def test_an_id_token_from_another_issuer_is_refused(service, forger):
    forger.forge = lambda claims, header: forger.token({**claims, "iss": "https://elsewhere.example"})
    assert refusal(await callback(service, await at_forger(await start(service, "forged")))) == "wrong_issuer"


async def test_an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused(service, forger, db):
    stranger = signing_key("stranger")
    forger.forge = lambda claims, header: forger.token(claims, {"kid": "stranger"}, key=stranger)
    fetches = forger.jwks_fetches
    assert (
        refusal(await callback(service, await at_forger(await start(service, "forged")))) == "bad_signature"
    )
    # The unknown key made the service ask the provider for its keys again, once.
    assert forger.jwks_fetches == fetches + 1
    assert await identities_of(db, forger.subject) == 0


async def test_an_identity_whose_address_has_an_account_is_not_linked_without_its_owner(service, forger, db):
    owner = await register(service)
    forger.email = owner.email.upper()
    response = await callback(service, await at_forger(await start(service, "forged")))
    assert response.status_code == 409 and refusal(response) == "email_in_use"
    assert await identities_of(db, forger.subject) == 0


async def test_the_provider_declining_is_said(service):
    authorize = httpx.URL(await start(service, "forged"))
    response = await service.get(
        "/auth/oidc/forged/callback", params={"state": authorize.params["state"], "error": "access_denied"}
    )
    assert refusal(response) == "provider_refused"


async def test_an_unknown_provider_is_not_found(service):
    response = await service.get("/auth/oidc/nobody/start")
    assert response.status_code == 404 and refusal(response) is None


async def test_an_account_without_a_password_is_not_erased_by_a_guessed_one(service, db):
    said = outcome(await callback(service, await at_forger(await start(service, "forged"))))
    auth = {"Authorization": f"Bearer {said['auth']['access_token']}"}
    response = await service.request(
        "DELETE", "/api/v1/me", json={"password": "any password at all"}, headers=auth
    )
    assert response.status_code == 403 and response.json()["field"] == "password"
    assert (await service.get("/api/v1/me", headers=auth)).status_code == 200
