"""Posting a comment: what its context is looked up by, the context read, and the comment written."""

from __future__ import annotations

import msgspec

from commentsvc.model.articles import Article
from commentsvc.model.comments import Parent, StoredComment
from commentsvc.model.events import Event
from commentsvc.model.moderation import Finding, Standing
from commentsvc.model.sites import Site


class ContextQuery(msgspec.Struct, frozen=True):
    """What a new comment's context is looked up by."""

    slug: str
    article_key: str
    author_id: int
    parent_id: int | None
    body_hash: bytes
    idempotency_key: str | None


class KeyUse(msgspec.Struct, frozen=True):
    """An Idempotency-Key's earlier use by the same author."""

    request_hash: bytes
    comment_id: int | None
    expired: bool


class PostingContext(msgspec.Struct, frozen=True):
    """Everything deciding about a new comment needs, read in one query before it is written."""

    site: Site
    standing: Standing | None  # None: the account no longer exists
    article: Article | None  # None: the article's first comment
    parent: Parent | None  # the comment replied to, if it exists
    key_use: KeyUse | None  # the Idempotency-Key's earlier use, if any
    home_site_id: int | None  # an SSO account's own site (it posts nowhere else); None: a local account


class CommentToWrite(msgspec.Struct, frozen=True):
    """A comment about to be written, and what must still hold when it is."""

    site_id: int
    article_key: str
    article_title: str | None
    article_url: str | None
    article_id: int | None  # None: the article is created with its first comment
    replied_to: int | None  # the comment the author replied to (it must still be visible to them)
    parent: Parent | None  # where the reply hangs: that comment or its deepest allowed ancestor
    status: str
    author_id: int
    body: str
    body_html: str
    client_hash: bytes
    body_hash: bytes
    held_because: str | None
    held_findings: list[Finding]  # what each rule that held it found (empty: published)
    idempotency_key: str | None
    request_hash: bytes | None


class Written(msgspec.Struct, frozen=True):
    """A comment as written, and the event written with it."""

    comment: StoredComment
    event: Event
