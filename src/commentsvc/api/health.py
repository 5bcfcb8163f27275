"""Liveness, readiness (PostgreSQL and Redis reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from commentsvc import metrics
from commentsvc.kv.client import UNAVAILABLE_ERRORS as REDIS_DOWN
from commentsvc.store.pool import UNAVAILABLE_ERRORS as POSTGRES_DOWN

READINESS_TIMEOUT_SECONDS = 2.0


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    postgres: str | None = None
    redis: str | None = None


@get("/healthz", tags=["operations"])
async def healthz() -> Health:
    """The process is alive."""
    return Health("ok")


@get(
    "/readyz",
    tags=["operations"],
    responses={503: ResponseSpec(data_container=Health, description="Not ready")},
)
async def readyz(request: Request) -> Response[Health]:
    """Ready when PostgreSQL and Redis both answer; says which one does not."""
    state = request.app.state
    postgres, redis = await asyncio.gather(
        _check(state.pool.fetchval("SELECT 1")), _check(state.redis.ping())
    )
    ready = postgres == redis == "ok"
    return Response(
        Health("ok" if ready else "unavailable", postgres, redis), status_code=200 if ready else 503
    )


async def _check(probe) -> str:  # type: ignore[no-untyped-def]
    try:
        await asyncio.wait_for(probe, READINESS_TIMEOUT_SECONDS)
        return "ok"
    except (*POSTGRES_DOWN, *REDIS_DOWN):
        return "unreachable"


@get("/metrics", tags=["operations"], media_type=MediaType.TEXT)
async def metrics_endpoint(request: Request) -> bytes:
    """Prometheus text format, summed over every worker."""
    metrics.record_pool(request.app.state.get("pool"))
    return metrics.render(request.app.state.settings.metrics_dir)


HANDLERS = [healthz, readyz, metrics_endpoint]
