"""argon2id with at least OWASP's parameters, and the common-passwords rule."""

from __future__ import annotations

import dataclasses

from argon2 import extract_parameters

from commentsvc.config import Settings
from commentsvc.domain.passwords import Passwords, common_passwords, is_common_password


async def test_hashes_are_argon2id_with_owasp_parameters():
    password_hash = await Passwords(Settings()).hash("a long and unusual passphrase")
    parameters = extract_parameters(password_hash)
    assert password_hash.startswith("$argon2id$")
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2
    assert parameters.parallelism == 1


async def test_verify_accepts_the_password_and_refuses_others():
    passwords = Passwords(Settings())
    password_hash = await passwords.hash("a long and unusual passphrase")
    assert await passwords.verify(password_hash, "a long and unusual passphrase")
    assert not await passwords.verify(password_hash, "a long and unusual passphrasE")
    assert not await passwords.verify("not a hash", "anything")
    assert not await passwords.verify(None, "anything")


async def test_stronger_parameters_call_for_a_rehash():
    old = await Passwords(Settings()).hash("a long and unusual passphrase")
    stronger = Passwords(dataclasses.replace(Settings(), argon2_time_cost=3))
    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(await stronger.hash("a long and unusual passphrase"))


def test_common_passwords_are_refused_whatever_the_case():
    assert len(common_passwords()) > 1000
    assert is_common_password("qwertyuiop")
    assert is_common_password("QwertyUIOP")
    assert not is_common_password("a long and unusual passphrase")
