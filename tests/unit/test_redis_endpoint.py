"""COMMENTSVC_REDIS_URL names one server, a Redis Cluster or Sentinels; a URL that cannot is
refused in one sentence that never shows its password. Keys a script touches together share a
Cluster slot."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from commentsvc.config import ConfigError, Settings, load_settings
from commentsvc.kv.keys import Keys
from commentsvc.redis_endpoint import CLUSTER, SENTINEL, SERVER


def redis_of(url: str):
    return load_settings({"COMMENTSVC_REDIS_URL": url}).redis


def test_a_single_server_is_left_to_redis_py():
    endpoint = redis_of("rediss://:secret@cache:6380/2")
    assert (endpoint.kind, endpoint.url) == (SERVER, "rediss://:secret@cache:6380/2")
    assert endpoint.where == "cache:6380/2"


def test_a_cluster_lists_nodes_to_start_from():
    endpoint = redis_of("redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002")
    assert endpoint.kind == CLUSTER
    assert endpoint.nodes == (("10.0.0.1", 7000), ("10.0.0.2", 6379), ("::1", 7002))
    assert (endpoint.username, endpoint.password) == ("app", "p@ss")
    assert "p@ss" not in repr(endpoint) and "p@ss" not in endpoint.where


def test_sentinels_name_the_master_and_optionally_a_database():
    endpoint = redis_of("redis+sentinel://:secret@s1:26379,s2/mymaster/3")
    assert endpoint.kind == SENTINEL
    assert endpoint.nodes == (("s1", 26379), ("s2", 26379))
    assert (endpoint.service_name, endpoint.db, endpoint.password) == ("mymaster", 3, "secret")
    assert redis_of("redis+sentinel://s1:26379/mymaster").db == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://cache:6379", "must be a URL starting with redis:// or rediss://"),
        ("redis+cluster://:secret@a:1,:2", "must list its hosts as host:port separated by commas"),
        ("redis+cluster://:secret@a:1,b:port", "must list its hosts as host:port separated by commas"),
        ("redis+cluster://:secret@a:70000", "must list its hosts as host:port separated by commas"),
        ("redis+cluster://:secret@a:7000/1", "names no database"),
        ("redis+cluster://:secret@a:7000?timeout=1", "takes no options"),
        ("redis+sentinel://:secret@s1:26379", "must name the master's service"),
        ("redis+sentinel://:secret@s1:26379/mymaster/first", "must name the master's service"),
    ],
)
def test_a_url_that_cannot_say_where_redis_is_is_refused_in_one_sentence(url, says):
    with pytest.raises(ConfigError, match=f"^COMMENTSVC_REDIS_URL {says}") as refused:
        redis_of(url)
    assert "secret" not in str(refused.value)


def test_the_prefix_may_not_hold_a_hash_tag():
    with pytest.raises(ConfigError, match="^COMMENTSVC_REDIS_PREFIX must not contain"):
        load_settings({"COMMENTSVC_REDIS_PREFIX": "app{1}:"})


def test_keys_a_script_touches_together_share_a_slot_whatever_the_text_from_outside():
    keys = Keys(Settings().redis_prefix)
    # One GCRA script counts an address's and an account's limits.
    limits = {
        key_slot(keys.rate_limit(group, who).encode())
        for group, who in [("login", "::1"), ("login_account", "{x}")]
    }
    # One script reads (or starts) a scope's generation and entry.
    scope = "thread:site:{abc}"
    cache = {
        key_slot(k.encode()) for k in (keys.cache_generation(scope), keys.cache_entry(scope, "fr:light"))
    }
    queue = {key_slot(k.encode()) for k in (keys.queue(1), keys.queue(2), keys.queue_marker())}
    assert len(limits) == len(cache) == len(queue) == 1
    # Scopes spread over the slots.
    assert len({key_slot(keys.cache_generation(f"counts:site-{n}").encode()) for n in range(20)}) > 1
