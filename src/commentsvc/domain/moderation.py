"""Moderation: the queue (claimed from Redis, true in PostgreSQL), decisions
applied exactly once, bans, article locks and the audit log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from commentsvc.domain import appeals, decisions
from commentsvc.domain.articles import Described, describe_article
from commentsvc.domain.comments import check_article_key
from commentsvc.domain.events import Change, Dispatcher
from commentsvc.domain.moderation_views import AuditPage, Item, audit_entry, shown_item
from commentsvc.domain.queue_feed import QueueFeed
from commentsvc.domain.rendering import check_text
from commentsvc.domain.threads import Viewer, shown
from commentsvc.errors import Conflict, Forbidden, Invalid, NotFound, RedisUnavailable, Unavailable
from commentsvc.kv.queue import ModerationQueue
from commentsvc.model.appeals import StoredAppeal
from commentsvc.model.events import ArticleChange, EventType, NewEvent, UserBanned, UserChange
from commentsvc.model.moderation import Decidable, StoredItem
from commentsvc.model.sites import Site
from commentsvc.store import articles, comments, moderation, sites, users

AUDIT_CURSOR = re.compile(r"[0-9]{1,19}")
MAX_BIGINT = 2**63 - 1
NOT_A_MODERATOR = "You are not a moderator of this site."
NO_ITEM = "There is no such moderation item."
STALE = (
    "The comment was edited after you were shown it (revision {shown}, now {current}): "
    "fetch the queue again to see the new text, then decide."
)
QUEUE_DOWN = (
    "The moderation queue is unavailable for a moment; decisions already made are safe. Try again shortly."
)
BAN_WITHOUT_REASON = "reason: a ban needs a reason, which the banned reader is shown."


def _ban_until(days: int | None) -> datetime | None:
    """None: permanent (no days, or 0)."""
    return datetime.now(UTC) + timedelta(days=days) if days else None


class Moderation:
    """Every method works on the connection its handler gives it. Each change records its
    events; what follows from them (stale pages, the queue's stream) is their subscribers'."""

    def __init__(
        self, queue: ModerationQueue, feed: QueueFeed, events: Dispatcher, claim_lease: timedelta
    ) -> None:
        self._queue = queue
        self._feed = feed
        self._events = events
        self._lease = claim_lease

    async def site_for(self, conn: asyncpg.Connection, slug: str, moderator_id: int) -> Site:
        site = await sites.get_site(conn, slug)
        if site is None:
            raise NotFound(f"There is no site named {slug!r}.")
        if not await users.moderates(conn, moderator_id, site.id):
            raise Forbidden(NOT_A_MODERATOR)
        return site

    async def claim(self, conn: asyncpg.Connection, slug: str, moderator_id: int, limit: int) -> list[Item]:
        """Items for this moderator, not handed to another until decided or their lease expires."""
        site = await self.site_for(conn, slug, moderator_id)
        try:
            await self._feed.catch_up(conn, site.id)
            # Entries taken off the stream as stale leave a round short: another round fills it
            # (a round gives this moderator's held entries first, then new ones), until one finds
            # none stale: they are finite, each gone once found.
            while True:
                claimed, stale = await self._claim_round(conn, site.id, moderator_id, limit)
                if not stale:
                    break
        except RedisUnavailable:
            raise Unavailable(QUEUE_DOWN) from None
        until = datetime.now(UTC) + self._lease
        return [
            await self._item(conn, row, site.origins, moderator_id, until, appeal) for row, appeal in claimed
        ]

    async def _claim_round(
        self, conn: asyncpg.Connection, site_id: int, moderator_id: int, limit: int
    ) -> tuple[list[tuple[StoredItem, StoredAppeal | None]], int]:
        """Up to ``limit`` open items this moderator may decide, with their appeals; and how many
        stale entries were taken off the stream."""
        claimed = await self._queue.claim(
            site_id, moderator_id, limit, int(self._lease.total_seconds() * 1000)
        )
        rows = await moderation.items(conn, list(claimed.values()))
        # Only the entry PostgreSQL names is the item's; another (pushed before a rebuild of the
        # queue), or a decided item's, comes off the stream: no item goes to two moderators.
        entry_of = {row.id: row.stream_id for row in rows if row.decision is None}
        live = {entry: item for entry, item in claimed.items() if entry_of.get(item) == entry}
        stale = [entry for entry in claimed if entry not in live]
        await self._queue.done(site_id, stale)
        appealed = await appeals.shown_with(conn, rows)
        barred = appeals.barred(moderator_id, appealed)
        if barred:
            await self._requeue(conn, site_id, {e: item for e, item in live.items() if item in barred})
        open_ids = set(live.values()) - barred
        return [(row, appealed.get(row.id)) for row in rows if row.id in open_ids], len(stale)

    async def _requeue(self, conn: asyncpg.Connection, site_id: int, entries: dict[str, int]) -> None:
        """Items this moderator may not decide (appeals against their own removals), queued again
        as new entries at the stream's end: the next moderator to read new entries gets them, and
        this one meets them again only after whatever is queued before them."""
        await self._queue.done(site_id, list(entries))
        item_ids = list(entries.values())
        pushed = await self._queue.push(site_id, item_ids)
        await moderation.mark_queued(conn, list(zip(item_ids, pushed, strict=True)))

    async def decide(
        self,
        conn: asyncpg.Connection,
        item_id: int,
        moderator_id: int,
        action: str,
        reason: str | None,
        ban_days: int | None,
        revision: int | None,
    ) -> Item:
        """Apply a decision once; deciding again, or racing another moderator, returns the first
        decision. It is for the comment's ``revision`` the moderator was shown; without one, for
        the revision the item was opened at (a client that does not say what it showed may only
        decide what nobody has edited since). A comment edited since is a Conflict."""
        if reason is not None:
            check_text(reason, "reason")
        elif ban_days is not None:
            raise Invalid(BAN_WITHOUT_REASON, field="reason")
        async with self._events.transaction(conn) as change:
            row = await moderation.item(conn, item_id)
            if row is None:
                raise NotFound(NO_ITEM)
            if not await users.moderates(conn, moderator_id, row.site_id):
                raise Forbidden(NOT_A_MODERATOR)
            appeal = None
            if row.kind == "appeal":
                appeal = await appeals.check_decision(conn, row, moderator_id, action, reason, ban_days)
            # Taken first: an edit of this comment waits for the decision, or the decision for it.
            [comment] = await comments.lock_decidable(conn, [row.comment_id])
            first = await moderation.decide(conn, item_id, action, moderator_id, reason, ban_days)
            shown_revision = row.opened_revision if revision is None else revision
            # Only the first decision can be stale (a later one returns it, whatever it was shown);
            # refusing it rolls its record back.
            if first and comment.revision != shown_revision:
                raise Conflict(STALE.format(shown=shown_revision, current=comment.revision))
            if first:
                # An appeal's item reinstates or upholds, counted under the rule of the removal it contests.
                applied, rule = (
                    (appeals.OUTCOMES[action], appeal.removal.rule)
                    if appeal is not None
                    else (action, decisions.removal_rule(row.kind, row.held_because, bool(row.reports)))
                )
                await decisions.apply(
                    conn, change, moderator_id, applied, reason, [decisions.Target(comment, rule)]
                )
                if ban_days is not None and comment.author_id is not None:  # (its reason checked above)
                    await self._ban_author(conn, change, comment, moderator_id, ban_days, reason)
        decided = await moderation.item(conn, item_id)
        return await self._unclaimed(conn, decided or row)  # (gone only if its site was deleted meanwhile)

    async def item_for(self, conn: asyncpg.Connection, item_id: int, moderator_id: int) -> Item:
        """An item as a moderator of its site sees it, decided or not; claims nothing."""
        row = await moderation.item(conn, item_id)
        if row is None:
            raise NotFound(NO_ITEM)
        if not await users.moderates(conn, moderator_id, row.site_id):
            raise Forbidden(NOT_A_MODERATOR)
        return await self._unclaimed(conn, row)

    async def ban(
        self,
        conn: asyncpg.Connection,
        slug: str,
        moderator_id: int,
        user_id: int,
        days: int | None,
        reason: str,
    ) -> None:
        check_text(reason, "reason")
        async with self._events.transaction(conn) as change:
            site = await self.site_for(conn, slug, moderator_id)
            if not await users.user_exists(conn, user_id):
                raise Invalid("user_id: there is no such user.", field="user_id")
            until = _ban_until(days)
            await moderation.ban(conn, site.id, user_id, until, reason, moderator_id)
            await change.record(NewEvent(EventType.USER_BANNED, site.id, None, UserBanned(user_id, until)))
            await moderation.record(
                conn,
                site_id=site.id,
                actor_id=moderator_id,
                action="ban",
                target_user_id=user_id,
                reason=reason,
            )

    async def unban(self, conn: asyncpg.Connection, slug: str, moderator_id: int, user_id: int) -> None:
        async with self._events.transaction(conn) as change:
            site = await self.site_for(conn, slug, moderator_id)
            if not await moderation.unban(conn, site.id, user_id):
                raise NotFound("This user is not banned from this site.")
            await change.record(NewEvent(EventType.USER_UNBANNED, site.id, None, UserChange(user_id)))
            await moderation.record(
                conn, site_id=site.id, actor_id=moderator_id, action="unban", target_user_id=user_id
            )

    async def lock(
        self, conn: asyncpg.Connection, slug: str, moderator_id: int, key: str, locked: bool
    ) -> bool:
        check_article_key(key)
        async with self._events.transaction(conn) as change:
            site = await self.site_for(conn, slug, moderator_id)
            article = await articles.ensure_article(conn, site.id, key, None, None)
            await articles.set_locked(conn, article.id, locked)
            await change.record(
                NewEvent(
                    EventType.ARTICLE_LOCKED if locked else EventType.ARTICLE_UNLOCKED,
                    site.id,
                    article.id,
                    ArticleChange(locked),
                )
            )
            await moderation.record(
                conn,
                site_id=site.id,
                actor_id=moderator_id,
                action="lock" if locked else "unlock",
                article_key=key,
            )
        return locked

    async def describe(
        self,
        conn: asyncpg.Connection,
        slug: str,
        moderator_id: int,
        key: str,
        title: str | None,
        url: str | None,
    ) -> Described:
        """Set what everyone sees as the article's title and URL."""
        check_article_key(key)
        async with self._events.transaction(conn) as change:
            site = await self.site_for(conn, slug, moderator_id)
            article = await describe_article(conn, site, key, title, url)
            await change.record(
                NewEvent(EventType.ARTICLE_DESCRIBED, site.id, article.id, ArticleChange(article.locked))
            )
            await moderation.record(
                conn, site_id=site.id, actor_id=moderator_id, action="describe", article_key=key
            )
        return Described(article.key, article.title, article.url)

    async def log(
        self, conn: asyncpg.Connection, slug: str, moderator_id: int, cursor: str | None, limit: int
    ) -> AuditPage:
        site = await self.site_for(conn, slug, moderator_id)
        before = None
        if cursor is not None:
            # An entry id: ASCII digits only (str.isdigit would take '²') and within bigint.
            if not AUDIT_CURSOR.fullmatch(cursor) or int(cursor) > MAX_BIGINT:
                raise Invalid("cursor: not a cursor this service gave out.", field="cursor")
            before = int(cursor)
        entries = await moderation.audit_page(conn, site.id, before, limit)
        more = len(entries) > limit
        return AuditPage(
            [audit_entry(entry, site.origins) for entry in entries[:limit]],
            str(entries[limit - 1].id) if more else None,
        )

    async def _ban_author(
        self,
        conn: asyncpg.Connection,
        change: Change,
        comment: Decidable,
        moderator_id: int,
        days: int,
        reason: str | None,
    ) -> None:
        until = _ban_until(days)
        await moderation.ban(conn, comment.site_id, comment.author_id, until, reason, moderator_id)
        await change.record(
            NewEvent(EventType.USER_BANNED, comment.site_id, None, UserBanned(comment.author_id, until))
        )
        await moderation.record(
            conn,
            site_id=comment.site_id,
            actor_id=moderator_id,
            action="ban",
            comment_id=comment.id,
            target_user_id=comment.author_id,
            reason=reason,
        )

    async def _unclaimed(self, conn: asyncpg.Connection, row: StoredItem) -> Item:
        site = await sites.get_site_by_id(conn, row.site_id)
        appealed = await appeals.shown_with(conn, [row])
        return await self._item(conn, row, site.origins if site else [], None, None, appealed.get(row.id))

    async def _item(
        self,
        conn: asyncpg.Connection,
        row: StoredItem,
        origins: Sequence[str],
        claimed_by: int | None,
        claimed_until: datetime | None,
        appeal: StoredAppeal | None,
    ) -> Item:
        comment = await comments.get_one(conn, row.comment_id, claimed_by, True)
        viewed = shown(comment, Viewer(claimed_by, True))
        return shown_item(row, viewed, origins, claimed_by, claimed_until, appeal)
