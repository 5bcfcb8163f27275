"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import jwt
import msgspec

from commentsvc.config import Settings
from commentsvc.errors import Unauthorized

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "iat", "exp", "iss", "aud", "jti"]
# Tokens verified lately, kept until they expire: a reader sends the same one with every request
# for its lifetime, and verifying it again (decoding, HMAC, claims) would give the same answer.
VERIFIED_TOKENS = 10_000


class Principal(msgspec.Struct, frozen=True):
    """Who a verified access token speaks for."""

    user_id: int
    token_id: str


class AccessTokens:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.public_url
        self._audience = settings.jwt_audience
        self.lifetime_seconds = settings.access_token_minutes * 60
        self._verified: dict[str, tuple[Principal, int]] = {}

    def issue(self, user_id: int) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        verified = self._verified.get(token)
        if verified is not None:
            principal, expires_at = verified
            if time.time() < expires_at:
                return principal
            del self._verified[token]  # and decoded again below, to say it expired
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
            principal = Principal(user_id=int(claims["sub"]), token_id=str(claims["jti"]))
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired; refresh it or sign in again.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthorized("The access token is not valid.") from None
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (principal, int(claims["exp"]))
        return principal


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    # The token has 256 bits of entropy, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
