"""An identity provider's keys are fetched again for a key the cache lacks (a rotation), but a
stream of unknown key ids makes at most a few fetches a minute."""

from __future__ import annotations

from typing import Any

from commentsvc.oidc.keys import FETCHES, WINDOW_SECONDS, ProviderKeys
from tests.openid import public_set, signing_key

OLD, NEW = signing_key("old"), signing_key("new")


class Published:
    """What the provider publishes, and how often it was asked."""

    def __init__(self, *keys: Any) -> None:
        self.keys = keys
        self.fetches = 0

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        return public_set(*self.keys)


async def test_a_rotated_key_is_found_by_fetching_the_keys_again():
    published = Published(OLD)
    keys = ProviderKeys(published)
    assert (await keys.key("old", "RSA")).kid == "old"
    published.keys = (NEW, OLD)
    assert (await keys.key("new", "RSA")).kid == "new"
    assert (await keys.key("old", "RSA")).kid == "old"
    assert published.fetches == 2


async def test_unknown_key_ids_make_a_few_fetches_a_minute_then_none():
    now = [1000.0]
    published = Published(OLD)
    keys = ProviderKeys(published, clock=lambda: now[0])
    for n in range(FETCHES * 3):
        assert await keys.key(f"forged-{n}", "RSA") is None
    assert published.fetches == FETCHES
    now[0] += WINDOW_SECONDS
    assert await keys.key("forged-again", "RSA") is None
    assert published.fetches == FETCHES + 1


async def test_a_key_of_another_type_than_the_token_says_is_not_used():
    keys = ProviderKeys(Published(OLD))
    assert await keys.key("old", "EC") is None
    assert (await keys.key(None, "RSA")).kid == "old"  # no kid: the provider's only RSA key
