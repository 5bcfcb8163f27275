"""Which addresses a webhook may reach: public unicast ones only, unless the operator allows
private ones (COMMENTSVC_WEBHOOK_ALLOW_PRIVATE). The check is made on the addresses a host name
resolves to, by the resolver the client connects with: the address checked is the address
connected to, with no second look-up for a DNS answer to change in between."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class ForbiddenAddress(OSError):
    """A host that is, or resolves only to, addresses a webhook may not reach."""


def is_public(address: str) -> bool:
    """Global unicast: not loopback, private, shared, link-local, multicast, reserved or
    unspecified (an IPv4 address mapped into IPv6 is judged as itself)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone names an interface
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def literal_address(host: str) -> str | None:
    """The address a URL's host names literally (IPv6 without its brackets), or None for a name."""
    bare = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None
    return bare


def check_literal(host: str) -> None:
    """ForbiddenAddress when the host is a literal address that is not public."""
    address = literal_address(host)
    if address is not None and not is_public(address):
        raise ForbiddenAddress(f"{address} is not a public address")


class PublicOnlyResolver(AbstractResolver):
    """The default resolver, less the addresses that are not public; a host with none left is
    ForbiddenAddress."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        resolved = await self._resolver.resolve(host, port, family)
        public = [result for result in resolved if is_public(result["host"])]
        if not public:
            found = ", ".join(sorted({result["host"] for result in resolved}))
            raise ForbiddenAddress(f"{host} resolves only to addresses that are not public ({found})")
        return public

    async def close(self) -> None:
        await self._resolver.close()


async def check_host(host: str) -> None:
    """ForbiddenAddress when the host is, or resolves only to, addresses that are not public;
    another OSError when it does not resolve."""
    if literal_address(host) is not None:
        check_literal(host)
        return
    resolver = PublicOnlyResolver()
    try:
        await resolver.resolve(host, 0, socket.AF_UNSPEC)
    finally:
        await resolver.close()
