"""Reader accounts, their roles and sign-ins, and what an account's data export holds."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class Role(msgspec.Struct, frozen=True):
    role: str
    site: str | None


class SiteRole(msgspec.Struct, frozen=True):
    """A reader's role on one site (moderator or owner), as the site's owners see it."""

    user_id: int
    username: str
    display_name: str
    role: str
    granted_at: datetime


class User(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    email: str | None  # None: an SSO account whose host site gave no address
    created_at: datetime
    email_verified: bool
    language: str  # what its mail is written in: 'fr' or 'en'


class AccountToken(msgspec.Struct, frozen=True):
    """A single-use token of an e-mail, as its use finds it: whose, and which address it proves."""

    id: int
    user_id: int
    purpose: str
    email: str


class Credentials(msgspec.Struct, frozen=True):
    user_id: int
    password_hash: str | None  # None: the account has no password (it signs in another way)


class SpentToken(msgspec.Struct, frozen=True):
    user_id: int
    family_id: uuid.UUID


class TokenState(msgspec.Struct, frozen=True):
    family_id: uuid.UUID
    spent: bool
    revoked: bool


class Session(msgspec.Struct, frozen=True):
    """One sign-in (a token family), as the account export shows it."""

    started_at: datetime
    last_refreshed_at: datetime
    expires_at: datetime
    active: bool


class AuthoredComment(msgspec.Struct, frozen=True):
    """A comment as its author's data export shows it."""

    id: int
    site: str
    article: str
    parent_id: int | None
    status: str
    body: str
    created_at: datetime
    edited_at: datetime | None


class OwnVote(msgspec.Struct, frozen=True):
    """A vote as its voter's data export shows it."""

    comment_id: int
    site: str
    article: str
    value: int
    voted_at: datetime


class OwnReport(msgspec.Struct, frozen=True):
    """A report as its reporter's data export shows it."""

    comment_id: int
    site: str
    article: str
    reason: str
    note: str | None
    created_at: datetime
