"""The messages already handed to the mail relay (sql/0013), each by its key, so that a delivery
tried again sends none of its messages twice."""

from __future__ import annotations

from datetime import timedelta

import asyncpg


async def was_sent(conn: asyncpg.Connection, key: str) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT FROM mail_sent WHERE message_id = $1)", key)


async def mark_sent(conn: asyncpg.Connection, key: str) -> None:
    await conn.execute("INSERT INTO mail_sent (message_id) VALUES ($1) ON CONFLICT DO NOTHING", key)


async def forget_sent(conn: asyncpg.Connection, older_than: timedelta) -> None:
    """Forget what was sent long enough ago that nothing retries it any more."""
    await conn.execute("DELETE FROM mail_sent WHERE sent_at < now() - $1::interval", older_than)
