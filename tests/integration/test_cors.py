"""CORS on a site's API routes: the sites' origins are kept in a bounded cache (unknown slugs
included, which anyone can make up), preflights are rate limited like reads, and a site's new
origin is seen within the cache's freshness bound."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from commentsvc.config import RateLimit
from commentsvc.domain import sites
from commentsvc.domain.sites import OriginDirectory, create_site, update_site
from commentsvc.store.pool import create_pool
from tests.builders import eventually, make_site, unique_name
from tests.conftest import open_client

ORIGIN = "https://news.example"


@pytest.fixture
async def pool(settings):
    pool = await create_pool(settings)
    yield pool
    await pool.close()


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST"}


@pytest.mark.slow
async def test_lookups_of_20000_unknown_sites_leave_the_origin_cache_at_its_bound(db, pool):
    directory = OriginDirectory(ttl_seconds=3600)  # nothing expires while the test runs
    site = await make_site(db, origins=(ORIGIN,))
    assert await directory.origins(pool, site) == {ORIGIN}
    unknown = [unique_name("nosuch").lower().replace("_", "-") for _ in range(20_000)]
    for start in range(0, len(unknown), 100):
        found = await asyncio.gather(
            *(directory.origins(pool, slug) for slug in unknown[start : start + 100])
        )
        assert not any(found)
    assert (
        len(directory) == sites.MAX_UNKNOWN_SITES + 1
    )  # the made-up slugs at their bound, and the real site
    await update_site(db, site, {"origins": []})
    # Still answered from the cache: the made-up slugs did not push the real site out.
    assert await directory.origins(pool, site) == {ORIGIN}


async def test_a_flood_of_preflights_from_one_address_gets_429_with_retry_after(settings, db):
    site = await make_site(db, origins=(ORIGIN,))
    limited = dataclasses.replace(settings, rate_limits={**settings.rate_limits, "read": RateLimit(5, 60)})
    async with open_client(limited) as client:
        url = f"/api/v1/sites/{site}/comments"
        answers = [await client.options(url, headers=preflight(ORIGIN)) for _ in range(5)]
        assert [a.status_code for a in answers] == [204] * 5
        assert all(a.headers["access-control-allow-origin"] == ORIGIN for a in answers)
        # Even for a made-up site: limited before anything is looked up.
        made_up = unique_name("nosuch").lower().replace("_", "-")
        flooded = await client.options(f"/api/v1/sites/{made_up}/comments", headers=preflight(ORIGIN))
    assert flooded.status_code == 429
    assert 1 <= int(flooded.headers["retry-after"]) <= 60
    assert flooded.headers["ratelimit-limit"] == "5"
    assert flooded.json()["code"] == "rate_limited"


async def test_a_sites_new_origin_is_seen_within_the_caches_freshness_bound(db, pool):
    directory = OriginDirectory(ttl_seconds=0.5)
    site, later = await make_site(db, origins=(ORIGIN,)), unique_name("later").lower().replace("_", "-")
    assert await directory.origins(pool, site) == {ORIGIN}
    assert await directory.origins(pool, later) == set()
    await update_site(db, site, {"origins": [ORIGIN, "https://www.news.example"]})
    await create_site(db, later, {"origins": [ORIGIN]})
    await eventually(
        lambda: _has(directory, pool, site, "https://www.news.example"), "the new origin seen", 5
    )
    await eventually(lambda: _has(directory, pool, later, ORIGIN), "the new site seen", 5)


async def _has(directory: OriginDirectory, pool, slug: str, origin: str) -> bool:
    return origin in await directory.origins(pool, slug)
