"""An OpenID Connect provider: its discovery document (fetched once, kept for a day), the
authorization code exchange with PKCE, and every check of the ID token (signature with one of the
provider's published keys, issuer, audience, expiry, nonce) before anything in it is believed."""

from __future__ import annotations

import hmac
import time
from typing import Any
from urllib.parse import quote, urlencode

from joserfc import jws, jwt
from joserfc.errors import JoseError

from commentsvc.config import OidcProvider
from commentsvc.errors import Reason, Unauthorized, Unavailable
from commentsvc.model.identities import ProviderIdentity
from commentsvc.oidc.claims import provider_identity
from commentsvc.oidc.http import ProviderClient
from commentsvc.oidc.keys import ProviderKeys

DISCOVERY_SECONDS = 86400
# Asymmetric signatures only: `none` and the HMAC algorithms (whose "key" a forger could take from
# the provider's public key set) are never accepted, whatever the provider's document says.
KEY_TYPES = {
    **dict.fromkeys(("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"), "RSA"),
    **dict.fromkeys(("ES256", "ES384", "ES512"), "EC"),
    "EdDSA": "OKP",
}
MAX_ID_TOKEN = 16 * 1024
# Clocks differ a little between the provider and the service.
LEEWAY_SECONDS = 60
SCOPE = "openid email profile"


def refused(detail: str, reason: Reason) -> Unauthorized:
    return Unauthorized(detail, reason=reason)


class OpenIDConnect:
    uses_nonce = True

    def __init__(self, config: OidcProvider, client: ProviderClient) -> None:
        assert config.issuer is not None
        self.name = config.name
        self.label = config.name.capitalize()
        self._issuer = config.issuer.rstrip("/")
        self._client_id = config.client_id
        self._client_secret = config.client_secret
        self._client = client
        self._discovery: dict[str, Any] | None = None
        self._discovered_at = 0.0
        self.keys = ProviderKeys(self._fetch_keys)

    async def authorization_url(
        self, *, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        endpoint = await self._endpoint("authorization_endpoint")
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)

    async def identity(
        self, *, code: str, code_verifier: str, nonce: str, redirect_uri: str, issuer: str | None
    ) -> ProviderIdentity:
        # RFC 9207: a provider that names itself in the answer must be the one the sign-in went to.
        if issuer is not None and issuer.rstrip("/") != self._issuer:
            raise refused("The answer came from another identity provider.", Reason.WRONG_ISSUER)
        answer = await self._client.post_form(
            await self._endpoint("token_endpoint"),
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            # RFC 6749, 2.3.1: the client's id and secret are form-encoded inside Basic.
            auth=(quote(self._client_id, safe=""), quote(self._client_secret, safe="")),
        )
        id_token = answer.get("id_token") if isinstance(answer, dict) else None
        if not isinstance(id_token, str):
            raise refused("The identity provider sent no ID token.", Reason.PROVIDER_REFUSED)
        claims = await self.verify(id_token, nonce)
        return provider_identity(
            self.name,
            claims.get("sub"),
            email=claims.get("email"),
            email_verified=claims.get("email_verified"),
            preferred_username=claims.get("preferred_username"),
            name=claims.get("name"),
        )

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once its signature and claims hold."""
        if len(id_token) > MAX_ID_TOKEN:
            raise refused("The ID token is too large.", Reason.BAD_SIGNATURE)
        try:
            header = jws.extract_compact(id_token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError):
            raise refused("The ID token is malformed.", Reason.BAD_SIGNATURE) from None
        algorithm = header.get("alg")
        if algorithm not in await self._algorithms():
            raise refused(
                f"The ID token is signed with {str(algorithm)[:20]!r}, which is not accepted.",
                Reason.BAD_SIGNATURE,
            )
        kid = header.get("kid")
        key = await self.keys.key(kid if isinstance(kid, str) else None, KEY_TYPES[algorithm])
        if key is None:
            raise refused(
                "The ID token is signed with a key the provider does not publish.", Reason.BAD_SIGNATURE
            )
        try:
            claims = jwt.decode(id_token, key, algorithms=[algorithm]).claims
        except (JoseError, ValueError):
            raise refused("The ID token's signature does not hold.", Reason.BAD_SIGNATURE) from None
        self._check_claims(claims, nonce)
        return claims

    def _check_claims(self, claims: dict[str, Any], nonce: str) -> None:
        if not isinstance(claims.get("iss"), str) or claims["iss"].rstrip("/") != self._issuer:
            raise refused("The ID token was issued by another provider.", Reason.WRONG_ISSUER)
        audience = claims.get("aud")
        audiences = (
            [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        )
        if self._client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != self._client_id):
            raise refused("The ID token was issued to another client.", Reason.WRONG_AUDIENCE)
        expires, issued = claims.get("exp"), claims.get("iat")
        if not _number(expires) or not _number(issued):
            raise refused("The ID token does not say when it was issued and expires.", Reason.BAD_SIGNATURE)
        if expires + LEEWAY_SECONDS < time.time():
            raise refused("The ID token has expired.", Reason.TOKEN_EXPIRED)
        said = claims.get("nonce")
        if not isinstance(said, str) or not hmac.compare_digest(said.encode(), nonce.encode()):
            raise refused(
                "The ID token was issued for another sign-in (its nonce differs).", Reason.NONCE_MISMATCH
            )

    async def _algorithms(self) -> set[str]:
        offered = (await self._discovered()).get("id_token_signing_alg_values_supported") or ["RS256"]
        return {a for a in offered if a in KEY_TYPES} if isinstance(offered, list) else {"RS256"}

    async def _endpoint(self, name: str) -> str:
        return (await self._discovered())[name]

    async def _discovered(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._discovery is None or now - self._discovered_at > DISCOVERY_SECONDS:
            document = await self._client.get(self._issuer + "/.well-known/openid-configuration")
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if (
                not isinstance(document, dict)
                or document.get("issuer", "").rstrip("/") != self._issuer
                or not all(isinstance(document.get(name), str) for name in needed)
            ):
                raise Unavailable(
                    f"The identity provider {self.name}'s discovery document does not fit its issuer."
                )
            self._discovery, self._discovered_at = document, now
        return self._discovery

    async def _fetch_keys(self) -> Any:
        return await self._client.get(await self._endpoint("jwks_uri"))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
