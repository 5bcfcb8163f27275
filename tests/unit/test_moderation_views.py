from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import get_args

import msgspec
import pytest

from commentsvc.domain.letters.texts import rule_said
from commentsvc.domain.moderation_views import Rule, article_link, holding
from commentsvc.domain.policy import findings, hold_reason
from commentsvc.domain.rendering import render
from commentsvc.model.moderation import Finding, Report, Standing
from commentsvc.model.sites import Site, SiteSettings

NOW = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)
ORIGINS = ["https://news.example", "https://www.news.example"]
SITE = Site(
    id=1,
    slug="news",
    name="News",
    origins=ORIGINS,
    settings=SiteSettings(
        moderation="post",
        trust_after=3,
        distrust_ratio=0.3,
        hold_first_comment=False,
        max_links=3,
        blocked_words=[],
        burst_count=10,
        burst_minutes=10,
        report_threshold=1,
        edit_window_minutes=15,
        max_depth=5,
    ),
    created_at=NOW,
)
OLD_HAND = Standing(
    account_created_at=NOW - timedelta(days=30),
    approved=5,
    rejected=0,
    recent_comments=0,
    same_text_before=False,
    ban=None,
    email_verified=True,
)
REPORT = Report(user_id=2, username="bob", reason="spam", note=None, created_at=NOW)


@dataclass
class Held:
    site: dict
    standing: dict
    body: str


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        (Held({"max_links": 1}, {}, "https://a.example et https://b.example"), "links"),
        (Held({"blocked_words": ["arnaque"]}, {}, "Une arnaque"), "blocked_word"),
        (Held({}, {"same_text_before": True}, "Bonjour"), "repeated_text"),
        (
            Held({}, {"account_created_at": NOW - timedelta(hours=1), "recent_comments": 10}, "Bonjour"),
            "burst",
        ),
        (Held({"moderation": "pre"}, {"approved": 0}, "Bonjour"), "pre_moderation"),
        (Held({"hold_first_comment": True}, {"approved": 0}, "Bonjour"), "first_comment"),
        (Held({"require_verified_email": True}, {"email_verified": False}, "Bonjour"), "unverified_email"),
    ],
)
def test_each_rule_that_holds_a_comment_is_told_by_the_contracts_name(case, rule):
    site = msgspec.structs.replace(SITE, settings=msgspec.structs.replace(SITE.settings, **case.site))
    standing = msgspec.structs.replace(OLD_HAND, **case.standing)
    found = findings(site, standing, body_html=render(case.body), now=NOW)
    assert [f.rule for f in holding("held", hold_reason(found), found, [])] == [rule]
    # A comment held before its findings were kept: its stored reason, by the contract's name.
    assert holding("held", hold_reason(found), [], []) == [Finding(rule)]
    assert rule in get_args(Rule)


def test_every_rule_that_holds_a_comment_is_found_with_what_it_found():
    site = msgspec.structs.replace(
        SITE,
        settings=msgspec.structs.replace(
            SITE.settings, moderation="pre", max_links=1, blocked_words=["arnaque", "casino"], burst_count=4
        ),
    )
    standing = msgspec.structs.replace(
        OLD_HAND, account_created_at=NOW - timedelta(hours=1), approved=0, recent_comments=4
    )
    body = "Une ARNAQUE : https://a.example et https://b.example"
    found = findings(site, standing, body_html=render(body), now=NOW)
    assert found == [
        Finding("links", count=2, limit=1),
        Finding("blocked_word", words=["arnaque"]),
        Finding("burst", count=4, limit=4, minutes=10),
        Finding("pre_moderation"),
    ]
    assert hold_reason(found) == "too_many_links"  # the stored name of the first
    assert [rule_said("en", f) for f in found] == [
        "too many links (2, over the limit of 1)",
        "a blocked word (“arnaque”)",
        "many comments from a new account (4 already within 10 min)",
        "pre-moderation (author not trusted yet)",
    ]
    assert rule_said("fr", found[1]) == "un mot bloqué (« arnaque »)"


def test_reports_are_a_rule_and_a_reported_items_old_hold_is_not():
    assert holding("reported", None, [], [REPORT]) == [Finding("reports", count=1)]
    # Held once, approved, reported since: the old reasons are no longer why it is here.
    links = [Finding("links", count=5, limit=3)]
    assert holding("reported", "too_many_links", links, [REPORT]) == [Finding("reports", count=1)]
    # Reported, then edited into a text the policy holds: both.
    word = [Finding("blocked_word", words=["arnaque"])]
    assert holding("held", "blocked_word", word, [REPORT, REPORT]) == [*word, Finding("reports", count=2)]


@pytest.mark.parametrize(
    ("key", "url", "link"),
    [
        ("/2026/un-tiers-lieu", None, "https://news.example/2026/un-tiers-lieu"),
        ("un tiers-lieu", None, "https://news.example/un%20tiers-lieu"),
        ("https://www.news.example/page", None, "https://www.news.example/page"),
        (
            "anything",
            "https://www.news.example/set-by-a-moderator",
            "https://www.news.example/set-by-a-moderator",
        ),
        # Keys are whatever a client sent: none of these is a page of the site.
        ("//evil.example/page", None, None),
        ("\\\\evil.example/page", None, None),
        ("javascript:alert(1)", None, None),
        ("https://evil.example/", None, None),
        ("https://news.example@evil.example/", None, None),
        ("https://user:secret@news.example/", None, None),
        ("http://[::1", None, None),
    ],
)
def test_an_articles_link_is_its_url_or_its_key_on_the_sites_first_origin(key, url, link):
    assert article_link(key, url, ORIGINS) == link


def test_a_site_without_origins_links_no_key():
    assert article_link("/2026/un-tiers-lieu", None, []) is None
