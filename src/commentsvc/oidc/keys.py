"""A provider's signing keys (its JWKS), cached: fetched again when an ID token names a key the
cache does not hold (the provider rotated its keys), at most ``FETCHES`` times per
``WINDOW_SECONDS``, so a stream of forged `kid`s cannot make the service hammer the provider."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

PublicKey = RSAKey | ECKey | OKPKey
# A rotation needs one fetch; a few more leave room for a provider that publishes its new key late.
FETCHES = 3
WINDOW_SECONDS = 60.0


class ProviderKeys:
    def __init__(
        self,
        fetch: Callable[[], Awaitable[Any]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str | None, PublicKey] = {}
        self._fetched_at: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None, kty: str) -> PublicKey | None:
        """The provider's key ``kid`` (a token without one: the provider's only key of that type),
        or None when the provider, asked again if it may be, does not publish it."""
        found = self._find(kid, kty)
        if found is not None:
            return found
        async with self._lock:
            found = self._find(kid, kty)  # fetched meanwhile by a concurrent sign-in
            now = self._clock()
            while self._fetched_at and now - self._fetched_at[0] >= WINDOW_SECONDS:
                self._fetched_at.popleft()
            if found is None and len(self._fetched_at) < FETCHES:
                self._fetched_at.append(now)
                self._keys = _public_keys(await self._fetch())
                found = self._find(kid, kty)
            return found

    def _find(self, kid: str | None, kty: str) -> PublicKey | None:
        if kid is not None:
            key = self._keys.get(kid)
            return key if key is not None and key.key_type == kty else None
        of_type = [key for key in self._keys.values() if key.key_type == kty]
        return of_type[0] if len(of_type) == 1 else None


def _public_keys(jwks: Any) -> dict[str | None, PublicKey]:
    """The signing keys of a JWKS document; symmetric keys, and keys meant for
    encryption, are left out (a provider publishes none of them for signatures)."""
    keys: dict[str | None, PublicKey] = {}
    for raw in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if (
            not isinstance(raw, dict)
            or raw.get("kty") not in ("RSA", "EC", "OKP")
            or raw.get("use", "sig") != "sig"
        ):
            continue
        try:
            key = KeySet.import_key_set({"keys": [raw]}).keys[0]
        except (JoseError, ValueError, TypeError):
            continue
        if isinstance(key, RSAKey | ECKey | OKPKey):
            keys[raw.get("kid")] = key
    return keys
