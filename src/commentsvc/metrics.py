"""Prometheus metrics. Under ``commentsvc serve`` every worker writes to a shared
directory (prometheus_client's multiprocess mode), so /metrics sums all workers."""

from __future__ import annotations

import asyncpg
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("commentsvc_http_requests", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "commentsvc_http_request_duration_seconds",
    "Time to serve an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
POOL_CONNECTIONS = Gauge(
    "commentsvc_db_pool_connections",
    "PostgreSQL pool connections by state",
    ["state"],
    multiprocess_mode="livesum",
)
IN_FLIGHT = Gauge(
    "commentsvc_http_requests_in_flight", "HTTP requests being served", multiprocess_mode="livesum"
)
RATE_LIMITED = Counter("commentsvc_rate_limited", "Requests refused by a rate limit", ["group"])


def record_pool(pool: asyncpg.Pool | None) -> None:
    """Sample this process's pool: on every scrape, and now and then while serving."""
    if pool is not None:
        idle = pool.get_idle_size()
        POOL_CONNECTIONS.labels("idle").set(idle)
        POOL_CONNECTIONS.labels("in_use").set(pool.get_size() - idle)


def render(metrics_dir: str | None) -> bytes:
    if metrics_dir is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=metrics_dir)
    return generate_latest(registry)
