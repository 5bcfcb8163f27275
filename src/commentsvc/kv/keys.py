"""Every Redis key the service writes, built in one place under the configured prefix."""

from __future__ import annotations

import hashlib


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def rate_limit(self, group: str, identity: str) -> str:
        return f"{self.prefix}rl:{group}:{identity}"

    def queue(self, site_id: int) -> str:
        return f"{self.prefix}mq:{site_id}"

    def queue_marker(self) -> str:
        return f"{self.prefix}mq:intact"

    def sign_in_flow(self, state: str) -> str:
        return f"{self.prefix}oidc:flow:{state}"

    def link_code(self, code: str) -> str:
        return f"{self.prefix}oidc:link:{code}"

    def cache_generation(self, scope: str) -> str:
        return f"{self.prefix}gen:{scope}"

    def cache_entry(self, scope: str, generation: str, variant: str) -> str:
        before, after = self.cache_entry_around(scope, variant)
        return before + generation + after

    def cache_entry_around(self, scope: str, variant: str) -> tuple[str, str]:
        """An entry key's text before and after its generation (for the Lua side)."""
        return f"{self.prefix}cache:{scope}:", f":{variant}"

    def live_channel(self, slug: str, article: str) -> str:
        """The pub/sub channel of one article's live updates (article keys can be long: hashed)."""
        digest = hashlib.sha1(article.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.prefix}live:{slug}:{digest}"

    def live_pattern(self) -> str:
        """Every article's live channel, as one subscription."""
        return f"{self.prefix}live:*"
