"""The mail relay goes away while readers register and reply, then comes back: every message is
delivered once it does, none is lost and none sent twice, and no request waited for it."""

from __future__ import annotations

import dataclasses
from collections import Counter

from commentsvc.config import Settings
from tests.builders import eventually, make_site, post_comment, register, unique_name
from tests.faults.conftest import checked_client, database
from tests.mailbox import Mailbox

READERS = 4


async def test_mail_written_while_the_relay_is_down_arrives_once_when_it_is_back(service_settings: Settings):
    box = Mailbox()
    box.start()
    settings = dataclasses.replace(service_settings, smtp_url=box.url, reply_mail_batch_seconds=1)
    try:
        async with checked_client(settings) as client, database(settings) as db:
            site, article = await make_site(db), unique_name("article")
            author = await register(client)
            response = await client.put(
                "/api/v1/me/notifications", json={"replies": True, "moderation": "off"}, headers=author.auth
            )
            assert response.status_code == 200, response.text
            first = await post_comment(client, author, site, article, "Qui a lu le rapport ?")
            await box.wait_for(author.email)  # its verification: the relay works

            box.stop()
            readers = [await register(client) for _ in range(READERS)]
            for reader in readers:
                await post_comment(
                    client, reader, site, article, f"Moi, {reader.username}.", parent_id=first["id"]
                )

            async def refused_meanwhile() -> bool:
                # The reply mail and each verification tried, refused, and left to a retry.
                return (
                    await db.fetchval(
                        """SELECT count(*) FROM event_deliveries
                       WHERE subscriber IN ('account-mail', 'reply-mail') AND attempts > 0 AND dead_at IS NULL"""
                    )
                    >= 2
                )

            await eventually(refused_meanwhile, "mail tried while the relay is down", seconds=30)
            assert [r.to for r in box.to(author.email)] == [author.email]  # nothing new got through

            box.start()
            [_, replies] = await box.wait_for(author.email, 2, seconds=60)
            for reader in readers:
                [verification] = await box.wait_for(reader.email, seconds=60)
                assert "/account/verify?" in verification.part("plain")
            assert all(f"Moi, {reader.username}." in replies.part("plain") for reader in readers)

            async def all_acknowledged() -> bool:
                return not await db.fetchval(
                    "SELECT count(*) FROM event_deliveries WHERE subscriber IN ('account-mail', 'reply-mail')"
                )

            await eventually(all_acknowledged, "every mail delivery acknowledged", seconds=30)
            # Acknowledged: nothing is sent again. Each message arrived once.
            ids = Counter(
                r.message["Message-ID"]
                for address in [author.email, *(r.email for r in readers)]
                for r in box.to(address)
            )
            assert set(ids.values()) == {1} and len(ids) == 2 + READERS
    finally:
        box.stop()
