"""Driving a sign-in with an identity provider through the service, as the widget's popup does:
/start, the provider, /callback; and reading what the popup's last page says."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator

import httpx

from commentsvc.config import OidcProvider, Settings
from tests.conftest import open_client
from tests.openid import CLIENT_ID, CLIENT_SECRET


@contextlib.asynccontextmanager
async def service_with(settings: Settings, **issuers: str) -> AsyncIterator[httpx.AsyncClient]:
    """The service with these providers (name: issuer) configured."""
    providers = tuple(
        OidcProvider(name, issuer, CLIENT_ID, CLIENT_SECRET) for name, issuer in issuers.items()
    )
    async with open_client(dataclasses.replace(settings, oidc_providers=providers)) as client:
        yield client


async def start(client: httpx.AsyncClient, name: str, **query: str) -> str:
    """The provider's authorization URL the popup is sent to (the flow's cookie kept by ``client``)."""
    response = await client.get(f"/auth/oidc/{name}/start", params=query)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def at_forger(authorize_url: str) -> str:
    """The forging provider signs in at once: the callback URL it sends the browser back to."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(authorize_url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def callback(client: httpx.AsyncClient, url: str) -> httpx.Response:
    parts = httpx.URL(url)
    return await client.get(parts.path, params=parts.params)


def outcome(response: httpx.Response) -> dict:
    """What the popup's page hands its script: a sign-in, a link to confirm, or a refusal."""
    data = response.text.split('<script type="application/json" id="outcome">', 1)[1].split("</script>", 1)[0]
    return json.loads(data)


def refusal(response: httpx.Response) -> str:
    said = outcome(response)
    assert said["outcome"] == "refused", said
    return said["reason"]
