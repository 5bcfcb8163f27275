"""SQL for moderator alerts: who is alerted (each at most once in a quiet period, whichever
process asks), whose daily digest is due, and what their sites' queues hold."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg

from commentsvc.model.alerts import Moderator, SiteQueue
from commentsvc.store.sso import mail_address

# Who moderates a site: its moderators, and the admins (who moderate every site), as
# users.moderates says it.
_MODERATES = """EXISTS (SELECT FROM user_roles r
                        WHERE r.user_id = u.id AND (r.role = 'admin' OR r.site_id = {site}))"""
_MODERATOR = f"u.id, u.username, u.display_name, {mail_address('u')} AS email, u.language"


async def alerted(conn: asyncpg.Connection, site_id: int, event_id: int, quiet: timedelta) -> list[Moderator]:
    """The site's moderators who chose instant alerts and were not alerted within ``quiet``,
    marked as alerted now for this event, in one statement: of two processes asking at once, one
    gets each moderator. The same event asking again (its delivery tried again) gets them again."""
    rows = await conn.fetch(
        f"""UPDATE users u
            SET alerted_at = CASE WHEN u.alerted_for_event = $2 THEN u.alerted_at ELSE now() END,
                alerted_for_event = $2
            WHERE u.moderation_alerts = 'instant' AND {_MODERATES.format(site="$1")} AND {mail_address("u")} IS NOT NULL
              AND (u.alerted_at IS NULL OR u.alerted_at <= now() - $3::interval OR u.alerted_for_event = $2)
            RETURNING {_MODERATOR}""",
        site_id,
        event_id,
        quiet,
    )
    return [Moderator(**dict(row)) for row in rows]


async def next_digest(conn: asyncpg.Connection) -> tuple[Moderator, date] | None:
    """A moderator who chose the daily digest and has not had today's (by PostgreSQL's clock, in
    UTC: the same day for every process), marked as having had it; None when none is left. In a
    transaction: the mark holds only if it commits (their digest sent), and meanwhile another
    process skips this moderator for the next one."""
    row = await conn.fetchrow(
        f"""UPDATE users u SET digest_sent_on = (now() AT TIME ZONE 'UTC')::date
            WHERE u.id = (SELECT d.id FROM users d
                          WHERE d.moderation_alerts = 'digest' AND {mail_address("d")} IS NOT NULL
                            AND (d.digest_sent_on IS NULL OR d.digest_sent_on < (now() AT TIME ZONE 'UTC')::date)
                            AND EXISTS (SELECT FROM user_roles r WHERE r.user_id = d.id)
                          ORDER BY d.id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {_MODERATOR}, u.digest_sent_on"""
    )
    if row is None:
        return None
    fields = dict(row)
    day = fields.pop("digest_sent_on")
    return Moderator(**fields), day


async def queues(conn: asyncpg.Connection, moderator_id: int) -> list[SiteQueue]:
    """The sites the moderator moderates where something awaits a decision, by slug."""
    rows = await conn.fetch(
        f"""SELECT s.id AS site_id, s.slug, s.name, count(*) AS waiting
            FROM sites s JOIN moderation_items i ON i.site_id = s.id AND i.decision IS NULL
            JOIN users u ON u.id = $1
            WHERE {_MODERATES.format(site="s.id")}
            GROUP BY s.id ORDER BY s.slug""",
        moderator_id,
    )
    return [SiteQueue(**dict(row)) for row in rows]


async def waiting(conn: asyncpg.Connection, site_id: int) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM moderation_items WHERE site_id = $1 AND decision IS NULL", site_id
    )


async def oldest_open(conn: asyncpg.Connection, site_ids: list[int], limit: int) -> list[int]:
    """The ids of the items of these sites waiting longest, up to ``limit``."""
    rows = await conn.fetch(
        """SELECT id FROM moderation_items WHERE site_id = ANY ($1::bigint[]) AND decision IS NULL
           ORDER BY id LIMIT $2""",
        site_ids,
        limit,
    )
    return [row["id"] for row in rows]


async def open_item_of(conn: asyncpg.Connection, comment_id: int) -> int | None:
    """The comment's item awaiting a decision, if one does."""
    return await conn.fetchval(
        "SELECT id FROM moderation_items WHERE comment_id = $1 AND decision IS NULL", comment_id
    )
