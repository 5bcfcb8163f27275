"""SQL for a reader's notification settings (sql/0013's users.notify_replies and
users.moderation_alerts) and the language their mail and pages are written in."""

from __future__ import annotations

import asyncpg

from commentsvc.model.notifications import AlertsChoice, NotificationSettings

_SETTINGS = "notify_replies, moderation_alerts"


def _settings(row: asyncpg.Record) -> NotificationSettings:
    return NotificationSettings(row["notify_replies"], AlertsChoice(row["moderation_alerts"]))


async def settings_of(conn: asyncpg.Connection, user_id: int) -> NotificationSettings | None:
    row = await conn.fetchrow(f"SELECT {_SETTINGS} FROM users WHERE id = $1", user_id)
    return _settings(row) if row else None


async def change(
    conn: asyncpg.Connection, user_id: int, replies: bool | None, moderation: AlertsChoice | None
) -> NotificationSettings | None:
    """Set the settings given (None leaves one as it is); the settings now, or None when there is
    no such account."""
    row = await conn.fetchrow(
        f"""UPDATE users SET notify_replies = coalesce($2, notify_replies),
                             moderation_alerts = coalesce($3, moderation_alerts)
            WHERE id = $1 RETURNING {_SETTINGS}""",
        user_id,
        replies,
        moderation.value if moderation is not None else None,
    )
    return _settings(row) if row else None


async def language_of(conn: asyncpg.Connection, user_id: int) -> str | None:
    return await conn.fetchval("SELECT language FROM users WHERE id = $1", user_id)
