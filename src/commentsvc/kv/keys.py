"""Every Redis key the service writes, built in one place under the configured prefix.

On a Redis Cluster a key's slot is the hash of its tag, the text between its first ``{`` and the
next ``}``, when it has one. Keys a script or a multi-key command touches together must share a
slot, so they share a tag; every key a script touches is in its KEYS, none built inside it, so
the client can route it. The tag comes right after the prefix (which may not hold a brace), before
any text from outside (a username, an article's key), so nobody can choose another one.

- Rate limits: one script counts a request against several limits (an address's and an
  account's), in one step, so every limit shares the tag ``{rl}`` and lives on one node. Their
  load is one small script per write request.
- Cache: a page's entry is read and started in one script with its scope's generation, so
  both are tagged with the scope; scopes spread across the nodes.
- Moderation queue: each command touches one stream, but the marker saying the queue is intact
  must go (and come back empty) with the streams: a node that restarts empty while the marker
  stays elsewhere would leave its queues unrebuilt. All of it is tagged ``{mq}``, on one node.
- Sign-in flows and link codes are single keys, each where its hash puts it.
"""

from __future__ import annotations

import hashlib


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def rate_limit(self, group: str, identity: str) -> str:
        return f"{self.prefix}{{rl}}:{group}:{identity}"

    def queue(self, site_id: int) -> str:
        return f"{self.prefix}{{mq}}:{site_id}"

    def queue_marker(self) -> str:
        return f"{self.prefix}{{mq}}:intact"

    def sign_in_flow(self, state: str) -> str:
        return f"{self.prefix}oidc:flow:{state}"

    def link_code(self, code: str) -> str:
        return f"{self.prefix}oidc:link:{code}"

    def cache_generation(self, scope: str) -> str:
        return f"{self.prefix}gen:{{{scope}}}"

    def recent_change(self, scope: str) -> str:
        """Tagged with its scope, as the cache's keys of the scope are on a Redis Cluster."""
        return f"{self.prefix}recent:{{{scope}}}"

    def cache_entry(self, scope: str, variant: str) -> str:
        """The scope's page in this variant, whatever its generation (which the value begins with)."""
        return f"{self.prefix}cache:{{{scope}}}:{variant}"

    def live_channel(self, slug: str, article: str) -> str:
        """The pub/sub channel of one article's live updates (article keys can be long: hashed)."""
        digest = hashlib.sha1(article.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.prefix}live:{slug}:{digest}"

    def live_pattern(self) -> str:
        """Every article's live channel, as one subscription."""
        return f"{self.prefix}live:*"
