"""The links the service puts in e-mails: absolute, built from COMMENTSVC_PUBLIC_URL (never from
a request's Host header), and, for those that act without a sign-in (unsubscribing, a moderator's
one-click decision), signed for that one purpose, with an expiry where they need one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt

from commentsvc.config import Settings
from commentsvc.errors import Invalid, Reason

ALGORITHM = "HS256"


class Links:
    def __init__(self, settings: Settings) -> None:
        self._base = settings.public_url
        self._secret = settings.jwt_secret

    def url(self, path: str, **query: str) -> str:
        return self._base + path + ("?" + urlencode(query) if query else "")

    def sign(self, purpose: str, claims: dict[str, Any], lifetime: timedelta | None = None) -> str:
        """A token for ``purpose`` only, saying ``claims``."""
        payload = {**claims, "aud": purpose}
        if lifetime is not None:
            payload["exp"] = datetime.now(UTC) + lifetime
        return jwt.encode(payload, self._key(purpose), algorithm=ALGORITHM)

    def read(self, purpose: str, token: str) -> dict[str, Any]:
        """The claims of a token signed for ``purpose``; refused if altered, expired or another's."""
        try:
            return jwt.decode(token, self._key(purpose), algorithms=[ALGORITHM], audience=purpose)
        except jwt.PyJWTError:
            raise Invalid(
                "token: this link is not valid, or no longer is.", field="token", reason=Reason.BAD_LINK
            ) from None

    def _key(self, purpose: str) -> bytes:
        # A key of each purpose's own: a token of one can never pass for another's.
        return hashlib.sha256(b"link:" + purpose.encode() + b":" + self._secret.encode()).digest()
