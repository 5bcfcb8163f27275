"""The service on a Redis Cluster of three masters, each with a replica: accounts, comments, the
moderation queue, the cache and the limits work, and go on working once a master has stopped and
its replica has taken over."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

import pytest

from commentsvc.errors import Unavailable
from commentsvc.kv.client import check
from commentsvc.kv.keys import Keys
from tests.builders import eventually
from tests.faults.conftest import ready, services
from tests.faults.redis_topologies import (
    fail_over_cluster,
    journey,
    redis_cluster,
    settings_on,
    two_processes,
)
from tests.faults.test_redis_down import visible_ids


async def test_the_journey_passes_on_a_cluster_and_after_a_master_fails_over(service_settings):
    with tempfile.TemporaryDirectory(prefix="commentsvc-cluster-") as root:
        async with redis_cluster(Path(root)) as nodes:
            url = "redis+cluster://" + ",".join(f"127.0.0.1:{node.port}" for node in nodes[:2])
            settings = settings_on(service_settings, url)
            async with two_processes(settings) as (first, second):
                site, article, visible = await journey(first, second, settings)

                # The master of the moderation queue goes; its replica takes over.
                await fail_over_cluster(nodes, Keys(settings.redis_prefix).queue_marker())
                for app in (first, second):
                    await eventually(lambda app=app: ready(app), "/readyz says ready after the failover")

                await journey(first, second, settings)
                assert await visible_ids(second, site, article) == visible


async def test_a_cluster_nobody_answers_at_is_named_in_one_sentence(service_settings):
    hosts = f"127.0.0.1:{services.free_port()},127.0.0.1:{services.free_port()}"
    settings = dataclasses.replace(service_settings, redis_url=f"redis+cluster://:secret@{hosts}")
    with pytest.raises(
        Unavailable, match="^" + re.escape(f"cannot reach Redis at {hosts} (a Redis Cluster)")
    ) as refused:
        await check(settings)
    assert "secret" not in str(refused.value)
