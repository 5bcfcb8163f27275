"""Whether a new comment is published at once or held for a moderator: the
site's mode, the author's standing on the site, and the spam signals."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from commentsvc.store.moderation import Standing
from commentsvc.store.sites import Site

NEW_ACCOUNT = timedelta(hours=24)
# How a link starts; "www." right after "//" is the same link again.
_LINK_STARTS = ("http://", "https://", "mailto:", "www.")


def fold(text: str) -> str:
    """Lower case without accents: 'Arnaque' and 'arnaqué' are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def count_links(text: str) -> int:
    """Links in a comment, written out or in Markdown, whatever their case. (Counted with
    str.count: a regular expression ignoring case took six times as long.)"""
    folded = text.casefold()
    return sum(folded.count(start) for start in _LINK_STARTS) - folded.count("//www.")


def is_trusted(site: Site, standing: Standing) -> bool:
    if site.trust_after == 0 or standing.approved < site.trust_after:
        return False
    decided = standing.approved + standing.rejected
    return standing.rejected / decided <= site.distrust_ratio


def hold_reason(site: Site, standing: Standing, body: str, now: datetime) -> str | None:
    """Why this comment must wait for a moderator, or None to publish it."""
    if count_links(body) > site.max_links:
        return "too_many_links"
    if site.blocked_words:
        folded = fold(body)
        if any(re.search(rf"(?<!\w){re.escape(fold(word))}(?!\w)", folded) for word in site.blocked_words):
            return "blocked_word"
    if standing.same_text_before:
        return "repeated_text"
    if now - standing.account_created_at < NEW_ACCOUNT and standing.recent_comments >= site.burst_count:
        return "burst"
    if site.moderation == "pre" and not is_trusted(site, standing):
        return "pre_moderation"
    if site.moderation == "post" and site.hold_first_comment and standing.approved == 0:
        return "first_comment"
    return None
