"""Host-site SSO: a site's own server vouches for its reader with a short JWT signed with the
site's SSO secret; the reader gets an account of that site, made on first use and kept up to
date from later tokens, which signs in no other way and posts nowhere else."""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import time
import unicodedata
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt

from commentsvc.domain import sites
from commentsvc.domain.accounts import Accounts, SignedIn
from commentsvc.domain.names import clean_display_name, look_alike_key
from commentsvc.domain.sites import check_slug, web_url
from commentsvc.errors import Conflict, Invalid, Reason, Unauthorized
from commentsvc.model.sso import HostReader, SsoStatus
from commentsvc.store import sso, users
from commentsvc.store.pool import connection

ALGORITHM = "HS256"
# A replaced secret keeps working this long, so the host's servers can take the new one in turn.
SECRET_GRACE = timedelta(hours=24)
# A token is a sign-in of a moment: the widget asks the host for a fresh one on every page.
MAX_LIFETIME_SECONDS = 600
# Clocks of two servers differ a little: an iat this far ahead is still taken.
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN = 4096
MAX_SUBJECT = 255
MAX_AVATAR_URL = 2048
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
_INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")

REFUSED = (
    "This sign-in token is not valid: forged, expired, signed with a retired secret, or not for this site."
)
# What an SSO account is told when it posts on another site than its own.
OTHER_SITE = "This account signs in through another site and may comment there only."


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class HostSignIn:
    def __init__(self, accounts: Accounts, username_key: bytes) -> None:
        self._accounts = accounts
        # Usernames are derived from the host's user ids with a key of the service's, so that a
        # username tells nobody which of the host's users wrote (the id may be an address).
        self._username_key = username_key

    async def sign_in(self, db: asyncpg.Pool, slug: str, token: str) -> SignedIn:
        async with connection(db) as conn:
            found = await sso.valid_secrets(conn, slug, SECRET_GRACE)
        if found is None or not found[1]:
            raise Unauthorized(REFUSED, reason=Reason.SSO_REFUSED)
        site_id, keys = found
        reader = read_token(token, slug, keys)
        async with connection(db) as conn, conn.transaction():
            user_id = await sso.account_of(conn, site_id, reader.subject)
            if user_id is None:
                username = self.username(slug, reader.subject)
                name = await _display_name(conn, reader.name, username) or username
                user_id = await sso.insert_account(conn, site_id, reader, username, name)
            if user_id is None:  # made meanwhile by a concurrent first sign-in
                user_id = await sso.account_of(conn, site_id, reader.subject)
                if user_id is None:
                    raise Conflict("This reader's account could not be made; try again.")
            else:
                await sso.update_account(conn, user_id, reader, await _display_name(conn, reader.name, None))
            return await self._accounts.start_session(conn, user_id)

    def username(self, slug: str, subject: str) -> str:
        """``slug:`` and 12 base32 letters: a form no local username can take (no ":" in those)."""
        digest = hmac.digest(self._username_key, f"{slug}\n{subject}".encode(), "sha256")
        return f"{slug}:{base64.b32encode(digest).decode()[:12].lower()}"


def read_token(token: str, slug: str, keys: list[str]) -> HostReader:
    """The reader a token signed with one of ``keys`` for site ``slug`` vouches for. The algorithm
    is pinned (no "none", no public-key confusion); ``aud``, ``iat`` and ``exp`` are required."""
    claims = None
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=slug,
                # iat is checked below, with room for the host's clock; exp without any.
                options={"require": ["sub", "aud", "iat", "exp"], "verify_iat": False},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidTokenError:
            raise Unauthorized(REFUSED, reason=Reason.SSO_REFUSED) from None
    if claims is None:
        raise Unauthorized(REFUSED, reason=Reason.SSO_REFUSED)
    issued_at, expires_at = claims["iat"], claims["exp"]
    if not all(isinstance(t, int | float) for t in (issued_at, expires_at)):
        raise Unauthorized(REFUSED, reason=Reason.SSO_REFUSED)
    if expires_at - issued_at > MAX_LIFETIME_SECONDS or issued_at > time.time() + CLOCK_SKEW_SECONDS:
        raise Unauthorized(
            f"{REFUSED} (exp must be at most {MAX_LIFETIME_SECONDS} seconds after iat, iat not ahead)",
            reason=Reason.SSO_REFUSED,
        )
    return HostReader(
        subject=_subject(claims["sub"]),
        name=_optional(claims.get("name"), 200),
        email=_email(claims.get("email")),
        avatar_url=_avatar(claims.get("avatar")),
        issued_at=datetime.fromtimestamp(issued_at, UTC),
    )


def _subject(sub: object) -> str:
    """A bounded, printable string: the host's id for its reader, kept and compared as sent."""
    if (
        not isinstance(sub, str)
        or not 1 <= len(sub) <= MAX_SUBJECT
        or any(unicodedata.category(ch) in _INVISIBLE for ch in sub)
    ):
        raise Invalid(f"token: its sub claim must be 1 to {MAX_SUBJECT} printable characters.", field="token")
    return sub


# The optional claims describe the reader; one the service cannot use is left out, never a
# reason to turn the reader away.


def _optional(value: object, limit: int) -> str | None:
    return value.strip() if isinstance(value, str) and 0 < len(value.strip()) <= limit else None


def _email(value: object) -> str | None:
    email = _optional(value, 254)
    return email if email is not None and _EMAIL.fullmatch(email) else None


def _avatar(value: object) -> str | None:
    url = _optional(value, MAX_AVATAR_URL)
    if url is None:
        return None
    try:
        return str(web_url(url))
    except ValueError:
        return None


async def _display_name(conn: asyncpg.Connection, name: str | None, username: str | None) -> str | None:
    """The host's name for its reader, unless it breaks the rules every display name keeps (no
    "@", nothing invisible, not like another reader's username): then None."""
    if name is None:
        return None
    try:
        cleaned = clean_display_name(name, "")[:64]
    except Invalid:
        return None
    if await users.usernames_looking_like(conn, look_alike_key(cleaned)):
        return None
    return cleaned or None


async def rotate_secret(conn: asyncpg.Connection, slug: str) -> str:
    """A new secret for the site; the one it replaces keeps working for SECRET_GRACE."""
    site = await sites.get_site(conn, check_slug(slug))
    secret = new_secret()
    await sso.rotate_secret(conn, site.id, secret, SECRET_GRACE)
    return secret


async def status(conn: asyncpg.Connection, slug: str) -> SsoStatus:
    site = await sites.get_site(conn, check_slug(slug))
    return await sso.status(conn, site.id, SECRET_GRACE)
