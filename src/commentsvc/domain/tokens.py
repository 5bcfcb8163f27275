"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
import uuid

import jwt
import msgspec

from commentsvc.config import Settings
from commentsvc.errors import Unauthorized

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "iat", "exp", "iss", "aud", "jti"]
# A subject as issue() writes it: a user id, positive, in its one canonical form, and short enough
# for PostgreSQL's bigint (a signed token saying more would otherwise reach the database).
_SUBJECT = re.compile(r"[1-9][0-9]{0,17}")
# Tokens verified lately, kept until they expire: a reader sends the same one with every request
# for its lifetime, and verifying it again (decoding, HMAC, claims) would give the same answer.
# Few: the busiest readers' tokens are what saves work; the rest are verified again (cheaply).
VERIFIED_TOKENS = 1_024


class Principal(msgspec.Struct, frozen=True):
    """Who a verified access token speaks for."""

    user_id: int
    token_id: str
    # The sign-in (refresh token family) the token was issued to: "every other session" is told
    # apart from the caller's by it. None in a token issued without one.
    session: str | None = None


class AccessTokens:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.public_url
        self._audience = settings.jwt_audience
        self.lifetime_seconds = settings.access_token_minutes * 60
        self._verified: dict[str, tuple[Principal, int]] = {}

    def issue(self, user_id: int, session: uuid.UUID | None = None) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        if session is not None:
            claims["sid"] = str(session)
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
            if not _SUBJECT.fullmatch(claims["sub"]):
                raise ValueError(claims["sub"])
            session = claims.get("sid")
            principal = Principal(
                user_id=int(claims["sub"]),
                token_id=str(claims["jti"]),
                session=str(session) if session is not None else None,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired; refresh it or sign in again.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthorized("The access token is not valid.") from None
        self._forget_oldest(time.time())
        self._verified[token] = (principal, int(claims["exp"]))
        return principal

    def _forget_oldest(self, now: float) -> None:
        """The oldest remembered tokens go first: those expired, and one more when full."""
        while self._verified:
            token, (_, expires_at) = next(iter(self._verified.items()))
            if expires_at > now and len(self._verified) < VERIFIED_TOKENS:
                return
            del self._verified[token]


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    # The token has 256 bits of entropy, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def successor_refresh_token(key: bytes, token: str) -> str:
    """The refresh token that rotating ``token`` issues: derived with a server key, so that the
    same pair can be handed again to a concurrent refresh without storing it in clear."""
    digest = hmac.digest(key, token.encode("utf-8", "surrogatepass"), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
