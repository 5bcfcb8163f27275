"""What tests read in an account e-mail: the link it carries to a page of the service, and its token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.builders import eventually
from tests.mailbox import Mailbox, Received

LINK = re.compile(r"https?://\S+/account/(?:reset|verify)\?\S+")


@dataclass(frozen=True)
class Link:
    url: str
    page: str
    token: str
    lang: str


def link_in(received: Received) -> Link:
    """The account link of a message; the same in its plain text and its HTML."""
    [url] = LINK.findall(received.part("plain"))
    assert url.replace("&", "&amp;") in received.part("html")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return Link(url, parts.path, query["token"][0], query["lang"][0])


async def mail_about(mailbox: Mailbox, address: str, subject: str, count: int = 1) -> Received:
    """The ``count``-th message to ``address`` with this subject, once it arrived."""

    def arrived() -> list[Received]:
        return [r for r in mailbox.to(address) if r.message["Subject"] == subject]

    async def enough() -> bool:
        return len(arrived()) >= count

    await eventually(enough, f"{count} message(s) {subject!r} to {address}")
    return arrived()[count - 1]
