"""`commentsvc site dry-run`: how many of a site's recent comments other settings would have held,
rule by rule, against how many were held; judged by the policy posting uses, changing nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import get_args

import asyncpg
import msgspec

from commentsvc.domain import policy, sites
from commentsvc.domain.moderation_views import holding
from commentsvc.model.moderation import Rule
from commentsvc.model.sites import SETTINGS, Site
from commentsvc.store import moderation

# The rules a new comment can be held by (reports and the spam score come later, from elsewhere).
POSTING_RULES: tuple[Rule, ...] = tuple(
    rule for rule in get_args(Rule) if rule not in ("reports", "spam_score")
)


class DryRun(msgspec.Struct, frozen=True):
    site: Site  # with the settings judged by
    changed: dict[str, tuple[object, object]]  # setting -> (now, as judged)
    days: int
    judged: int  # comments of those days whose author still has an account
    would_hold: dict[str, int]  # by rule; a comment held by several counts for each
    held: dict[str, int]  # by rule, as they were held
    would_hold_any: int
    held_any: int


async def dry_run(conn: asyncpg.Connection, slug: str, change: Mapping[str, object], days: int) -> DryRun:
    """Judge again the comments of the last ``days`` days of the site, each as posting judged it
    (its author's record as it stood then, the account's age then), with the site's settings
    changed as ``change`` says (checked as `site update` checks them)."""
    site = await sites.get_site(conn, slug)
    checked = {name: value for name, value in sites.check_change(change).items() if name in SETTINGS}
    judged_by = msgspec.structs.replace(site, settings=msgspec.structs.replace(site.settings, **checked))
    since = datetime.now(UTC) - timedelta(days=days)
    burst = timedelta(minutes=judged_by.settings.burst_minutes)
    would_hold: Counter[str] = Counter()
    held: Counter[str] = Counter()
    judged = would_hold_any = held_any = 0
    async for past in moderation.past_comments(conn, site.id, since, burst):
        judged += 1
        found = policy.findings(judged_by, past.standing, body_html=past.body_html, now=past.created_at)
        would_hold.update(finding.rule for finding in found)
        would_hold_any += bool(found)
        was = holding("held", past.held_because, past.held_findings, [])
        held.update(finding.rule for finding in was)
        held_any += bool(was)
    changed = {
        name: (getattr(site.settings, name), value)
        for name, value in checked.items()
        if getattr(site.settings, name) != value
    }
    return DryRun(
        site=judged_by,
        changed=changed,
        days=days,
        judged=judged,
        would_hold={rule: would_hold[rule] for rule in POSTING_RULES},
        held={rule: held[rule] for rule in POSTING_RULES},
        would_hold_any=would_hold_any,
        held_any=held_any,
    )
