"""Rate limits per route group, keyed by client address (or account), enforced in Redis."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.connection import ASGIConnection

from commentsvc import metrics
from commentsvc.config import IPNetwork, Settings
from commentsvc.errors import RateLimited
from commentsvc.kv.ratelimit import Check, RateLimiter


def client_address(request: ASGIConnection, trusted_proxies: tuple[IPNetwork, ...]) -> str:
    """The socket's peer, unless it is a trusted proxy: then the nearest
    X-Forwarded-For hop that is not itself trusted."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not in_networks(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in ",".join(request.headers.getall("x-forwarded-for", [])).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not in_networks(hop, trusted_proxies):
            return hop
    return peer


def in_networks(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def enforce(request: Request, *counted: tuple[str, str]) -> None:
    """Count one request against each (group, identity), in one round trip; raise RateLimited
    past a limit."""
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.limiter
    decision = await limiter.hit(
        *(Check(group, identity, settings.rate_limits[group]) for group, identity in counted)
    )
    if decision.allowed:
        return
    metrics.RATE_LIMITED.labels(decision.group).inc()
    raise RateLimited(
        f"Too many requests; try again in {decision.retry_after_seconds} seconds.",
        retry_after=decision.retry_after_seconds,
        headers={
            "Retry-After": str(decision.retry_after_seconds),
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset_seconds),
        },
    )


def rate_limit(address: str | None = None, user: str | None = None) -> Callable[[Request], Awaitable[None]]:
    """A ``before_request`` hook counting the request against a group per client
    address and/or a group per signed-in user."""

    async def hook(request: Request) -> None:
        counted = []
        if address is not None:
            counted.append((address, client_address(request, request.app.state.settings.trusted_proxies)))
        principal = request.scope.get("user")
        if user is not None and principal is not None:
            counted.append((user, str(principal.user_id)))
        if counted:
            await enforce(request, *counted)

    return hook
