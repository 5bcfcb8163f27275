"""Password hashing (argon2id) and the common-passwords rule.

Hashing is CPU-bound, so it runs in a worker thread, and a semaphore keeps a
storm of sign-ins from taking every core away from other requests.
"""

from __future__ import annotations

import asyncio
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from commentsvc.config import Settings


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    return password.lower() in common_passwords()


class Passwords:
    def __init__(self, settings: Settings, concurrent_hashes: int = 1) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._slots = asyncio.Semaphore(concurrent_hashes)
        # Unknown accounts are verified against this, so a failed sign-in takes
        # as long whether or not the account exists.
        self._dummy_hash = self._hasher.hash("not a real password, only here to spend time")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
