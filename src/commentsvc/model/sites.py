"""A site and its settings. ``SiteSettings`` holds each setting once, with its type, default,
allowed values and what it does: the domain checks a change against it, the store derives its
columns from it, the command line its flags, and a test holds the README's table to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, get_args, get_origin

import msgspec
from msgspec import Meta


@dataclass(frozen=True, slots=True)
class Range:
    """The values a setting may take, both ends included."""

    minimum: int
    maximum: int

    def __str__(self) -> str:
        return f"between {self.minimum} and {self.maximum}"


# The schema's CHECK holds the same.
NAME_LENGTH = Range(1, 200)


class SiteSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How a site moderates its comments. The schema's CHECKs hold the lower ends (and
    max_depth's 50); the upper ends keep a typo from meaning "never": the burst rule looks at
    accounts younger than a day, so a longer window adds nothing."""

    moderation: Annotated[
        Literal["pre", "post"],
        Meta(
            description="pre: an untrusted author's comments wait for review; post: comments appear at once"
        ),
    ] = "post"
    trust_after: Annotated[
        int,
        Meta(
            ge=0,
            le=10_000,
            description="approved comments after which an author skips pre-moderation (0: never)",
        ),
    ] = 3
    distrust_ratio: Annotated[
        float, Meta(ge=0, le=1, description="a rejection rate above this withdraws trust")
    ] = 0.3
    hold_first_comment: Annotated[
        bool, Meta(description="in post mode, hold a new account's first comment")
    ] = False
    require_verified_email: Annotated[
        bool, Meta(description="hold the comments of accounts whose e-mail address is not verified")
    ] = False
    max_links: Annotated[int, Meta(ge=0, le=1_000, description="a comment with more links is held")] = 3
    blocked_words: Annotated[list[str], Meta(description="a comment with one of these words is held")] = []
    burst_count: Annotated[
        int,
        Meta(
            ge=1,
            le=10_000,
            description="comments an account younger than 24 h may post in a burst before the next are held",
        ),
    ] = 10
    burst_minutes: Annotated[
        int, Meta(ge=1, le=24 * 60, description="how long a burst lasts, in minutes")
    ] = 10
    report_threshold: Annotated[
        int, Meta(ge=1, le=1_000, description="distinct reporters before a comment enters the queue")
    ] = 1
    edit_window_minutes: Annotated[
        int, Meta(ge=0, le=365 * 24 * 60, description="how long an author may edit a comment, in minutes")
    ] = 15
    max_depth: Annotated[
        int,
        Meta(ge=0, le=50, description="the deepest reply level; deeper replies hang at it (0: no nesting)"),
    ] = 5
    language: Annotated[
        Literal["fr", "en"],
        Meta(description="the language of the site's comments, whose words moderators search in it"),
    ] = "fr"


class Site(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    slug: str
    name: str
    origins: list[str]  # as browsers send them in Origin: scheme://host[:port]
    settings: SiteSettings
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Setting:
    """A field of ``SiteSettings``, as its readers need it."""

    name: str
    annotation: object  # the field's annotated type: what a value is checked against
    kind: type  # int, float, bool, str (one of ``choices``) or list (of words)
    description: str
    range: Range | None
    choices: tuple[str, ...]

    @property
    def allowed(self) -> str:
        """What the setting may be, as a sentence ends: "must be <allowed>"."""
        if self.range:
            return str(self.range)
        if self.choices:
            return " or ".join(self.choices)
        return "true or false" if self.kind is bool else "a list of words"


def _setting(field: msgspec.structs.FieldInfo) -> Setting:
    base, meta = get_args(field.type)
    choices = get_args(base) if get_origin(base) is Literal else ()
    return Setting(
        name=field.name,
        annotation=field.type,
        kind=str if choices else get_origin(base) or base,
        description=meta.description,
        range=Range(meta.ge, meta.le) if meta.ge is not None else None,
        choices=choices,
    )


# Each setting, in the structure's order.
SETTINGS = {field.name: _setting(field) for field in msgspec.structs.fields(SiteSettings)}
