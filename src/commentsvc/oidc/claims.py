"""What a provider says about a person, kept only as far as the service can trust and store it."""

from __future__ import annotations

import re
from typing import Any

from commentsvc.errors import Reason, Unauthorized
from commentsvc.model.identities import ProviderIdentity

MAX_SUBJECT = 255  # OpenID Connect Core 1.0, 2: "MUST NOT exceed 255 ASCII characters"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# As the account routes accept an address: one @, no space or control character, a dot after the @.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
MAX_EMAIL = 254
MAX_NAME = 64


def provider_identity(
    provider: str,
    subject: Any,
    *,
    email: Any,
    email_verified: Any,
    preferred_username: Any,
    name: Any,
) -> ProviderIdentity:
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT or _CONTROL.search(subject):
        raise Unauthorized(
            "The identity provider's answer names nobody the service can keep (its subject is empty, "
            "too long or holds control characters).",
            reason=Reason.BAD_IDENTITY,
        )
    usable_email = isinstance(email, str) and len(email) <= MAX_EMAIL and _EMAIL.fullmatch(email)
    return ProviderIdentity(
        provider=provider,
        subject=subject,
        email=email if usable_email else None,
        # Only the provider's explicit word makes an address verified.
        email_verified=bool(usable_email) and email_verified in (True, "true"),
        preferred_username=_text(preferred_username),
        name=_text(name),
    )


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = _CONTROL.sub("", value).strip()[:MAX_NAME]
    return cleaned or None
