"""Liveness, readiness (PostgreSQL and Redis reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import hmac

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from commentsvc import metrics
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import client_address, in_networks
from commentsvc.config import Settings
from commentsvc.errors import Forbidden, Unauthorized

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
    # Down, slow, or answering with a refusal (no such database or role, a Redis database index
    # out of range): whatever keeps a backend from serving makes the service not ready, and a
    # probe is answered, not logged. `commentsvc serve` says why at start-up.
    except Exception:
        return "unreachable"


async def allows_scraper(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: the metrics are for a client address COMMENTSVC_METRICS_ALLOW names (as the rate
    limits see it: through the trusted proxies), or for the bearer of COMMENTSVC_METRICS_TOKEN."""
    settings: Settings = connection.app.state.settings
    if in_networks(client_address(connection, settings.trusted_proxies), settings.metrics_allow):
        return
    if settings.metrics_token is None:
        raise Forbidden("The metrics are not open to this address.")
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    # In constant time, so the comparison's duration does not tell how much of a guess was right.
    if not (
        scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode("latin-1"), settings.metrics_token.encode())
    ):
        raise Unauthorized("Send the metrics token as 'Authorization: Bearer <token>'.")


@get(
    "/metrics",
    tags=["operations"],
    media_type=MediaType.TEXT,
    guards=[allows_scraper],
    responses=error_responses(401, 403),
)
async def metrics_endpoint(request: Request) -> bytes:
    """Prometheus text format, summed over every worker; for the addresses and the bearer token
    the service is told to answer (in development, by default, everyone)."""
    metrics.record_pool(request.app.state.get("pool"))
    return metrics.render(request.app.state.settings.metrics_dir)


HANDLERS = [healthz, readyz, metrics_endpoint]
