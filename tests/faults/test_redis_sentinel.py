"""The service on a master and its replica watched by three Sentinels: accounts, comments, the
moderation queue, the cache and the limits work, and go on working once the Sentinels have made
the replica the master."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.builders import eventually
from tests.faults.conftest import ready
from tests.faults.redis_topologies import (
    fail_over_sentinels,
    journey,
    sentinel_set,
    sentinel_url,
    settings_on,
    two_processes,
)
from tests.faults.test_redis_down import visible_ids


async def test_the_journey_passes_behind_sentinels_and_after_a_failover(service_settings):
    with tempfile.TemporaryDirectory(prefix="commentsvc-sentinel-") as root:
        async with sentinel_set(Path(root)) as ((master, replica), sentinels):
            settings = settings_on(service_settings, sentinel_url(sentinels))
            async with two_processes(settings) as (first, second):
                site, article, visible = await journey(first, second, settings)

                await fail_over_sentinels(sentinels, master, replica)
                for app in (first, second):
                    await eventually(lambda app=app: ready(app), "/readyz says ready after the failover")

                await journey(first, second, settings)
                assert await visible_ids(second, site, article) == visible
