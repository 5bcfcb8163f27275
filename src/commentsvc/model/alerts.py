"""Moderator alerts: who is written to, and the queues their letters are about."""

from __future__ import annotations

import msgspec


class Moderator(msgspec.Struct, frozen=True):
    """A moderator (of a site, or an admin of all) as their alerts and digests address them."""

    id: int
    username: str
    display_name: str
    email: str
    language: str


class SiteQueue(msgspec.Struct, frozen=True):
    """A site a moderator moderates, and how many of its items await a decision."""

    site_id: int
    slug: str
    name: str
    waiting: int
