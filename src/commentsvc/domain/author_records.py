"""An author's record on a site, as its moderators see it: the account, its standing (what the
moderation policy judges it by), its bans, and its latest comments with their articles."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from commentsvc.domain.moderation import Moderation
from commentsvc.domain.moderation_views import ItemArticle, article_link
from commentsvc.domain.policy import is_trusted
from commentsvc.domain.threads import Comment, Viewer, shown
from commentsvc.errors import NotFound
from commentsvc.store import comments, moderation

# Bans and unbans shown, newest first.
BAN_HISTORY = 50


class AuthorAccount(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    created_at: datetime


class AuthorStanding(msgspec.Struct, frozen=True):
    approved: int
    rejected: int
    # Whether the site's pre-moderation lets their comments through (its trust_after and distrust_ratio).
    trusted: bool


class AuthorBan(msgspec.Struct, frozen=True):
    """The ban in force on the site."""

    until: datetime | None  # None: permanent
    reason: str
    banned_by: str | None  # the moderator's username (None: an erased account)
    since: datetime


class BanChange(msgspec.Struct, frozen=True):
    action: str  # "ban" or "unban"
    at: datetime
    by: str | None
    reason: str | None


class AuthorComment(msgspec.Struct, frozen=True):
    comment: Comment
    article: ItemArticle


class AuthorRecord(msgspec.Struct, frozen=True):
    account: AuthorAccount
    standing: AuthorStanding
    ban: AuthorBan | None
    bans: list[BanChange]  # every ban and unban on the site, newest first
    comments: list[AuthorComment]  # any status, newest first


class AuthorRecords:
    def __init__(self, moderation: Moderation) -> None:
        self._moderation = moderation

    async def record(
        self, conn: asyncpg.Connection, slug: str, moderator_id: int, user_id: int, limit: int
    ) -> AuthorRecord:
        """The author's record on the site and their ``limit`` latest comments there; an account
        that never wrote there has an empty one."""
        site = await self._moderation.site_for(conn, slug, moderator_id)
        author = await moderation.author(conn, site.id, user_id)
        if author is None:
            raise NotFound("There is no such user.")
        bans = await moderation.ban_history(conn, site.id, user_id, BAN_HISTORY)
        recent = await comments.recent_on_site(conn, site.id, user_id, moderator_id, limit)
        viewer = Viewer(moderator_id, True)
        return AuthorRecord(
            account=AuthorAccount(author.id, author.username, author.display_name, author.created_at),
            standing=AuthorStanding(
                author.approved, author.rejected, is_trusted(site.settings, author.approved, author.rejected)
            ),
            ban=AuthorBan(author.ban_until, author.ban_reason or "", author.banned_by, author.banned_at)
            if author.banned and author.banned_at is not None
            else None,
            bans=[BanChange(entry.action, entry.at, entry.by, entry.reason) for entry in bans],
            comments=[
                AuthorComment(
                    shown(row.comment, viewer),
                    ItemArticle(
                        row.article_key,
                        row.article_title,
                        row.article_url,
                        article_link(row.article_key, row.article_url, site.origins),
                        row.article_locked,
                    ),
                )
                for row in recent
            ],
        )
