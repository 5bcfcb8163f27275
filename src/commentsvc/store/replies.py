"""SQL for reply notifications: whom a published reply concerns, the replies one letter tells
(claimed in reply_notices, sql/0015), and what the letter quotes of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from commentsvc.model.notifications import NoticedReply, Recipient, RepliesToTell
from commentsvc.store.sso import mail_address


async def recipient_of(conn: asyncpg.Connection, reply_id: int) -> int | None:
    """The author of the comment the reply answers, if they want to hear of replies."""
    return await conn.fetchval(
        """SELECT u.id FROM comments c JOIN comments p ON p.id = c.parent_id
           JOIN users u ON u.id = p.author_id
           WHERE c.id = $1 AND u.notify_replies""",
        reply_id,
    )


async def notice(
    conn: asyncpg.Connection,
    letter: str,
    recipient_id: int,
    reply_id: int,
    event_id: int,
    until: datetime,
    published: Sequence[str],
) -> None:
    """Claim for ``letter`` the replies to the recipient's comments that events from ``event_id``
    until ``until`` published (event types ``published``) and no letter told yet: published
    still, by someone else, to a recipient who still wants them. Nothing when the reply of
    ``event_id`` is not among them (told already, or no longer published). One statement, its
    rows in one order: letters claiming at the same time each get their own replies."""
    await conn.execute(
        """WITH told AS (
               SELECT c.id FROM comments c JOIN comments p ON p.id = c.parent_id
               WHERE p.author_id = $3 AND c.status = 'approved' AND c.author_id IS DISTINCT FROM $3
                 AND c.id IN (SELECT (e.data ->> 'id')::bigint FROM events e
                              WHERE e.id >= $4 AND e.occurred_at <= $5 AND e.type = ANY ($6::text[])
                                AND e.data ->> 'status' = 'approved')
                 AND EXISTS (SELECT FROM users u WHERE u.id = $3 AND u.notify_replies)
                 AND NOT EXISTS (SELECT FROM reply_notices n WHERE n.reply_id = c.id))
           INSERT INTO reply_notices (reply_id, letter)
           SELECT id, $1 FROM told WHERE EXISTS (SELECT FROM told WHERE id = $2)
           ORDER BY id
           ON CONFLICT (reply_id) DO NOTHING""",
        letter,
        reply_id,
        recipient_id,
        event_id,
        until,
        list(published),
    )


async def noticed(conn: asyncpg.Connection, letter: str) -> RepliesToTell | None:
    """What the letter tells, as it reads now: its replies still published, oldest first; None
    when none is, or when its recipient no longer wants them (or is gone)."""
    rows = await conn.fetch(
        f"""SELECT u.id AS recipient_id, {mail_address("u")} AS email, u.display_name AS recipient_name, u.language,
                  c.id, a.display_name AS author, c.body, c.body_html, p.body AS answers,
                  s.name AS site, ar.key AS article_key, ar.title AS article_title, ar.url AS article_url
           FROM reply_notices n JOIN comments c ON c.id = n.reply_id
           JOIN comments p ON p.id = c.parent_id JOIN users u ON u.id = p.author_id
           LEFT JOIN users a ON a.id = c.author_id
           JOIN articles ar ON ar.id = c.article_id JOIN sites s ON s.id = ar.site_id
           WHERE n.letter = $1 AND c.status = 'approved' AND u.notify_replies AND {mail_address("u")} IS NOT NULL
           ORDER BY c.id""",
        letter,
    )
    if not rows:
        return None
    first = rows[0]
    recipient = Recipient(first["recipient_id"], first["email"], first["recipient_name"], first["language"])
    return RepliesToTell(
        recipient,
        [
            NoticedReply(
                row["id"],
                row["author"],
                row["body"],
                row["body_html"],
                row["answers"],
                row["site"],
                row["article_key"],
                row["article_title"],
                row["article_url"],
            )
            for row in rows
        ],
    )
