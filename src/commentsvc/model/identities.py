"""Who a reader is at an identity provider (OpenID Connect, GitHub), and the sign-ins in flight."""

from __future__ import annotations

import msgspec


class ProviderIdentity(msgspec.Struct, frozen=True):
    """A person as their provider vouches for them. ``email_verified`` is the provider's word
    only: an address it does not say it verified counts as unverified."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    # What the account's username and display name start from.
    preferred_username: str | None
    name: str | None


class Flow(msgspec.Struct, frozen=True):
    """A sign-in between its start and the provider's answer, kept server-side under its state:
    the PKCE verifier and the nonce never leave the service."""

    provider: str
    nonce: str
    code_verifier: str
    lang: str
    # The account the reader is signed in to and asked to link the identity to.
    link_user_id: int | None = None


class Linked(msgspec.Struct, frozen=True):
    """An identity tied to an account."""

    user_id: int
    provider: str
    subject: str
