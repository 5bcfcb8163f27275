"""GitHub as a preset: OAuth 2.0 (no ID token), the person read from its API with the access token
the code buys; their address is the primary one, verified as GitHub's /user/emails says. Without an
issuer, github.com; with one, a GitHub Enterprise Server at that address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from commentsvc.config import OidcProvider
from commentsvc.errors import Reason, Unauthorized
from commentsvc.model.identities import ProviderIdentity
from commentsvc.oidc.claims import provider_identity
from commentsvc.oidc.http import ProviderClient

GITHUB = "https://github.com"
GITHUB_API = "https://api.github.com"
SCOPE = "read:user user:email"


class GitHub:
    uses_nonce = False
    label = "GitHub"

    def __init__(self, config: OidcProvider, client: ProviderClient) -> None:
        self.name = config.name
        self._base = (config.issuer or GITHUB).rstrip("/")
        self._api = GITHUB_API if self._base == GITHUB else self._base + "/api/v3"
        self._client_id = config.client_id
        self._client_secret = config.client_secret
        self._client = client

    async def authorization_url(
        self, *, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        query = {
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "allow_signup": "false",
        }
        return f"{self._base}/login/oauth/authorize?{urlencode(query)}"

    async def identity(
        self, *, code: str, code_verifier: str, nonce: str, redirect_uri: str, issuer: str | None
    ) -> ProviderIdentity:
        answer = await self._client.post_form(
            f"{self._base}/login/oauth/access_token",
            {
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
        )
        # GitHub answers a bad code with 200 and an `error`.
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise Unauthorized("GitHub refused the sign-in.", reason=Reason.PROVIDER_REFUSED)
        headers = {"authorization": f"Bearer {token}", "accept": "application/vnd.github+json"}
        user = await self._client.get(f"{self._api}/user", headers)
        emails = await self._client.get(f"{self._api}/user/emails", headers)
        primary = _primary(emails)
        return provider_identity(
            self.name,
            str(user.get("id")) if isinstance(user, dict) and _whole(user.get("id")) else None,
            email=primary.get("email"),
            email_verified=primary.get("verified"),
            preferred_username=user.get("login"),
            name=user.get("name"),
        )


def _primary(emails: Any) -> dict[str, Any]:
    for entry in emails if isinstance(emails, list) else []:
        if isinstance(entry, dict) and entry.get("primary") is True:
            return entry
    return {}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
