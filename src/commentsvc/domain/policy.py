"""Whether a new comment is published at once or held for a moderator: the
site's mode, the author's standing on the site, and the spam signals."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import unquote

from commentsvc.model.moderation import Finding, Standing
from commentsvc.model.sites import Site, SiteSettings

NEW_ACCOUNT = timedelta(hours=24)
# How a link starts; "www." right after "//" is the same link again.
_LINK_STARTS = ("http://", "https://", "mailto:", "www.")
# The signals read the comment as rendering.render made it, so that what Markdown reads
# differently from its source (character references, a link's destination) cannot slip by.
# In that HTML an attribute's value is always in double quotes (where ">" may stand), and a
# link is an <a> with an href first (nh3 drops an href it refuses, leaving a mere <a>).
_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')
_LINK = '<a href="'
_LINK_ELEMENT = re.compile(r'<a href="[^"]*"(?:[^>"]|"[^"]*")*>.*?</a>', re.DOTALL)
_ADDRESS_OR_TITLE = re.compile(r' (?:href|title)="([^"]*)"')
# Characters that show nothing yet split a word or a link for a program: the format characters
# (Cf: soft hyphen, zero-width spaces and joiners, direction controls, tags...) and the other
# default-ignorable code points (variation selectors, Hangul fillers, the grapheme joiner).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def fold(text: str) -> str:
    """Lower case without accents: 'Arnaque' and 'arnaqué' are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def visible_text(html: str) -> str:
    """The text a reader sees of a rendered comment: its markup dropped, character references read."""
    return unescape(_TAG.sub("", html))


def _plain(text: str) -> str:
    """Text as the link signal compares it: lower case, compatibility forms (full-width
    letters, the long s) as plain letters, invisible characters gone."""
    if text.isascii():  # most comments: nothing to normalise
        return text.lower()
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()


def count_links(html: str) -> int:
    """Links in a rendered comment: its link elements, and the addresses written out in the rest
    of its text, whatever their case (not links, but a copy away from one). (Counted with
    str.count: a regular expression ignoring case was several times slower.)"""
    elements = html.count(_LINK)
    text = _plain(visible_text(_LINK_ELEMENT.sub(" ", html) if elements else html))
    return elements + sum(text.count(start) for start in _LINK_STARTS) - text.count("//www.")


def blocked_words_found(html: str, words: list[str]) -> list[str]:
    """The words of the list a rendered comment holds, whole, in its text or in the address or
    title of a link (the address as the browser reads it: percent-escapes decoded)."""
    attributes = (unquote(unescape(value)) for value in _ADDRESS_OR_TITLE.findall(html))
    folded = fold(_INVISIBLE.sub("", " ".join((visible_text(html), *attributes))))
    return [word for word in words if re.search(rf"(?<!\w){re.escape(fold(word))}(?!\w)", folded)]


def is_trusted(settings: SiteSettings, approved: int, rejected: int) -> bool:
    """Whether an author with this record on the site skips its pre-moderation."""
    if settings.trust_after == 0 or approved < settings.trust_after:
        return False
    return rejected / (approved + rejected) <= settings.distrust_ratio


def findings(site: Site, standing: Standing, *, body_html: str, now: datetime) -> list[Finding]:
    """Each rule that holds this comment (rendered: rendering.render), with what it found; none to
    publish it. In the order of their precedence: the first is the comment's hold_reason."""
    settings = site.settings
    found = []
    links = count_links(body_html)
    if links > settings.max_links:
        found.append(Finding("links", count=links, limit=settings.max_links))
    words = blocked_words_found(body_html, settings.blocked_words) if settings.blocked_words else []
    if words:
        found.append(Finding("blocked_word", words=words))
    if standing.same_text_before:
        found.append(Finding("repeated_text"))
    if now - standing.account_created_at < NEW_ACCOUNT and standing.recent_comments >= settings.burst_count:
        found.append(
            Finding(
                "burst",
                count=standing.recent_comments,
                limit=settings.burst_count,
                minutes=settings.burst_minutes,
            )
        )
    if settings.require_verified_email and not standing.email_verified:
        found.append(Finding("unverified_email"))
    if settings.moderation == "pre" and not is_trusted(settings, standing.approved, standing.rejected):
        found.append(Finding("pre_moderation"))
    if settings.moderation == "post" and settings.hold_first_comment and standing.approved == 0:
        found.append(Finding("first_comment"))
    return found


# comments.held_because predates the contract's names: the one rule it stores under another name.
STORED_AS: dict[str, str] = {"links": "too_many_links"}


def hold_reason(found: list[Finding]) -> str | None:
    """Why a comment with these findings waits for a moderator, as comments.held_because keeps it;
    None to publish it."""
    return STORED_AS.get(found[0].rule, found[0].rule) if found else None
