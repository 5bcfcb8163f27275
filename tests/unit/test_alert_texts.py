"""Moderator alerts say why an item is held or reported in every language mail is written in:
every rule the API names and every reason a reader can report for has its sentence."""

from __future__ import annotations

from typing import get_args, get_type_hints

from commentsvc.api.comments import ReportIn
from commentsvc.domain.moderation_views import Rule
from commentsvc.i18n import LANGUAGES, catalogue


def test_every_rule_and_report_reason_is_said_in_every_language():
    reasons = get_args(get_type_hints(ReportIn)["reason"])
    names = [f"rule_{rule}" for rule in get_args(Rule)] + [f"report_{reason}" for reason in reasons]
    missing = [
        (name, language)
        for name in names
        for language in LANGUAGES
        if name not in catalogue("mail", language)
    ]
    assert missing == []
