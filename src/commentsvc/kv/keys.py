"""Every Redis key the service writes, built in one place under the configured prefix."""

from __future__ import annotations


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def rate_limit(self, group: str, identity: str) -> str:
        return f"{self.prefix}rl:{group}:{identity}"
