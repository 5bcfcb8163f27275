"""Password hashing (argon2id) and the common-passwords rule.

Hashing is CPU-bound and slow by design, so it runs on one thread of its own per
worker, at a lower scheduling priority: a storm of sign-ins queues there and
uses spare CPU, while every other request keeps the cores it needs.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
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


HASHING_NICENESS = 10


def _lower_priority() -> None:
    # On Linux a thread has its own nice value; elsewhere this is a no-op.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except (AttributeError, OSError):
        pass


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="argon2", initializer=_lower_priority)
        # Unknown accounts are verified against this, so a failed sign-in takes
        # as long whether or not the account exists.
        self._dummy_hash = self._hasher.hash("not a real password, only here to spend time")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        verified = await asyncio.get_running_loop().run_in_executor(
            self._executor, self._verify, password_hash or self._dummy_hash, password
        )
        return verified and password_hash is not None

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
