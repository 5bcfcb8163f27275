"""Host-site SSO: the reader a host site's token vouches for, and a site's SSO state."""

from __future__ import annotations

from datetime import datetime

import msgspec


class HostReader(msgspec.Struct, frozen=True):
    """What a verified token says of the host's reader: its id there (``subject``) and what the
    service could use of the optional claims (None: absent or unusable)."""

    subject: str
    name: str | None
    email: str | None
    avatar_url: str | None
    issued_at: datetime


class SsoStatus(msgspec.Struct, frozen=True):
    """What `commentsvc site sso SLUG` shows: never a secret."""

    current_since: datetime | None  # None: the site has no SSO secret
    previous_valid_until: datetime | None  # a replaced secret still accepted until then
    accounts: int
