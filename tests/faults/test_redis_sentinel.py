"""The service on a master and its replica watched by three Sentinels: accounts, comments, the
moderation queue, the cache and the limits work, and go on working once the Sentinels have made
the replica the master."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest

from commentsvc.errors import Unavailable
from commentsvc.kv.client import check
from tests.builders import eventually
from tests.faults.conftest import ready, services
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


async def test_sentinels_nobody_answers_at_are_named_in_one_sentence(service_settings):
    host = f"127.0.0.1:{services.free_port()}"
    settings = dataclasses.replace(service_settings, redis_url=f"redis+sentinel://:secret@{host}/mymaster")
    with pytest.raises(Unavailable) as refused:
        await check(settings)
    assert str(refused.value) == (
        f"cannot reach Redis at {host} (Sentinels of mymaster): no Sentinel answered with its master's "
        "address; is COMMENTSVC_REDIS_URL right?"
    )
