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
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
            return Principal(user_id=int(claims["sub"]), token_id=str(claims["jti"]))
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired; refresh it or sign in again.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthorized("The access token is not valid.") from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    # The token has 256 bits of entropy, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
