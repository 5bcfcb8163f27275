"""The configured providers, by name, each speaking OpenID Connect or GitHub's preset."""

from __future__ import annotations

from typing import Protocol

from commentsvc.config import OidcProvider
from commentsvc.model.identities import ProviderIdentity
from commentsvc.oidc.github import GitHub
from commentsvc.oidc.http import ProviderClient
from commentsvc.oidc.openid import OpenIDConnect


class Provider(Protocol):
    name: str
    label: str
    uses_nonce: bool

    async def authorization_url(
        self, *, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str: ...

    async def identity(
        self, *, code: str, code_verifier: str, nonce: str, redirect_uri: str, issuer: str | None
    ) -> ProviderIdentity: ...


def providers_for(configs: tuple[OidcProvider, ...], client: ProviderClient) -> dict[str, Provider]:
    return {
        config.name: GitHub(config, client) if config.name == "github" else OpenIDConnect(config, client)
        for config in configs
    }
