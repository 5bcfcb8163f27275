"""Verified access tokens are remembered until they expire, never after."""

from __future__ import annotations

import time

import jwt
import pytest

from commentsvc.config import Settings
from commentsvc.domain.tokens import ALGORITHM, VERIFIED_TOKENS, AccessTokens, Principal
from commentsvc.errors import Unauthorized

SETTINGS = Settings(jwt_secret="s" * 48)


def test_a_token_verified_again_gives_the_same_principal():
    tokens = AccessTokens(SETTINGS)
    token = tokens.issue(42)
    assert tokens.verify(token) == tokens.verify(token) == Principal(42, tokens.verify(token).token_id)


def test_a_remembered_token_past_its_expiry_is_refused_as_expired():
    tokens = AccessTokens(SETTINGS)
    claims = {"sub": "7", "iat": int(time.time()) - 900, "exp": int(time.time()) - 1, "jti": "j"}
    claims |= {"iss": SETTINGS.public_url, "aud": SETTINGS.jwt_audience}
    expired = jwt.encode(claims, SETTINGS.jwt_secret, algorithm=ALGORITHM)
    # As if verified while it was still valid.
    tokens._verified[expired] = (Principal(7, "j"), claims["exp"])
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(expired)
    assert expired not in tokens._verified


def test_expired_tokens_are_forgotten_first():
    tokens = AccessTokens(SETTINGS)
    tokens._verified["old"] = (Principal(1, "a"), int(time.time()) - 1)
    fresh = tokens.issue(2)
    tokens.verify(fresh)
    assert list(tokens._verified) == [fresh]


def test_a_refused_token_is_not_remembered_and_memory_stays_bounded():
    tokens = AccessTokens(SETTINGS)
    with pytest.raises(Unauthorized):
        tokens.verify(tokens.issue(1) + "x")
    assert tokens._verified == {}
    issued = [tokens.issue(n) for n in range(1, VERIFIED_TOKENS + 6)]
    for token in issued:
        tokens.verify(token)
    assert len(tokens._verified) == VERIFIED_TOKENS
    assert issued[0] not in tokens._verified and issued[-1] in tokens._verified


@pytest.mark.parametrize(
    "subject", ["99999999999999999999", "9223372036854775808", "-1", "0", "1e3", " 1", "01"]
)
def test_a_signed_subject_that_is_not_a_user_id_is_refused(subject):
    tokens = AccessTokens(SETTINGS)
    claims = {"sub": subject, "iat": int(time.time()), "exp": int(time.time()) + 60, "jti": "j"}
    claims |= {"iss": SETTINGS.public_url, "aud": SETTINGS.jwt_audience}
    with pytest.raises(Unauthorized, match="not valid"):
        tokens.verify(jwt.encode(claims, SETTINGS.jwt_secret, algorithm=ALGORITHM))
