"""Where Redis is, read from COMMENTSVC_REDIS_URL: one server, a Redis Cluster or the master a
set of Sentinels names. Parsed here for config.py (which refuses a bad URL at start-up) and for
kv/client.py (which connects to it); redis-py reads only the one-server forms itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

SERVER, CLUSTER, SENTINEL = "server", "cluster", "sentinel"
SCHEMES = {
    "redis": SERVER,
    "rediss": SERVER,
    "unix": SERVER,
    "redis+cluster": CLUSTER,
    "redis+sentinel": SENTINEL,
}
DEFAULT_PORTS = {CLUSTER: 6379, SENTINEL: 26379}
EXAMPLES = {
    CLUSTER: "redis+cluster://host:6379,host:6380",
    SENTINEL: "redis+sentinel://host:26379,host:26380/mymaster/0",
}


class BadRedisUrl(ValueError):
    """The URL cannot say where Redis is; the message says why, never the password."""


@dataclass(frozen=True, slots=True)
class RedisEndpoint:
    kind: str
    # The URL itself, for a single server (redis-py reads it).
    url: str = field(repr=False)
    # A Cluster's nodes to start from (any of them will do), or the Sentinels to ask.
    nodes: tuple[tuple[str, int], ...] = ()
    service_name: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        """Where it is, for messages: never the password."""
        if self.kind == SERVER:
            parts = urlsplit(self.url)
            return f"{parts.hostname}:{parts.port or 6379}{parts.path}" if parts.hostname else parts.path
        hosts = ",".join(f"{host}:{port}" for host, port in self.nodes)
        return (
            f"{hosts} (a Redis Cluster)"
            if self.kind == CLUSTER
            else f"{hosts} (Sentinels of {self.service_name})"
        )


def parse_redis_url(raw: str) -> RedisEndpoint:
    parts = urlsplit(raw)
    kind = SCHEMES.get(parts.scheme)
    if kind is None:
        raise BadRedisUrl(f"must be a URL starting with {' or '.join(s + '://' for s in SCHEMES)}")
    if kind == SERVER:
        return RedisEndpoint(SERVER, raw)
    if parts.query or parts.fragment:
        raise BadRedisUrl(f"takes no options after the hosts' path, as in {EXAMPLES[kind]}")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    nodes = tuple(_node(kind, host) for host in hosts.split(","))
    service_name, db = _path(kind, parts.path)
    return RedisEndpoint(
        kind, raw, nodes, service_name, db, unquote(username) or None, unquote(password) or None
    )


def _node(kind: str, text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, str(DEFAULT_PORTS[kind])
    host = host.removeprefix("[").removesuffix("]")  # an IPv6 address
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadRedisUrl(f"must list its hosts as host:port separated by commas, as in {EXAMPLES[kind]}")
    return host, int(port)


def _path(kind: str, path: str) -> tuple[str, int]:
    """(master's service name, database) from the path: a Cluster has neither."""
    if kind == CLUSTER:
        if path not in ("", "/"):
            raise BadRedisUrl(f"names no database (a Redis Cluster has only one), as in {EXAMPLES[kind]}")
        return "", 0
    service_name, _, db = path.removeprefix("/").partition("/")
    if not service_name or not (db == "" or db.isdigit()):
        raise BadRedisUrl(
            f"must name the master's service after the hosts, then optionally a database, as in {EXAMPLES[kind]}"
        )
    return unquote(service_name), int(db or 0)
