"""Posting to receivers: at most ``TIMEOUT_SECONDS`` for the whole exchange, redirects never
followed (an answer is the receiver's, or a failure), the response's body left unread, and no
connection to an address that is not public unless allowed (addresses.py)."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
import msgspec
from yarl import URL

from commentsvc import __version__
from commentsvc.webhooks.addresses import ForbiddenAddress, PublicOnlyResolver, check_literal

TIMEOUT_SECONDS = 10.0
USER_AGENT = f"commentsvc/{__version__} (webhooks)"


class Answer(msgspec.Struct, frozen=True):
    """What came of a post: the receiver's status (None when it was not reached or did not
    answer in time) and, unless it answered 2xx, why it failed."""

    status: int | None
    error: str | None = None


class WebhookClient:
    """One HTTP session for every webhook; ``open`` it in the running event loop."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=None if self._allow_private else PublicOnlyResolver(),
            # A connection per post: each is made to an address vetted for it, and a receiver
            # restarted meanwhile is never met through a stale connection.
            force_close=True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            headers={"user-agent": USER_AGENT},
            trust_env=False,  # a proxy would connect on our behalf, past the address check
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        assert self._session is not None, "WebhookClient.open() first"
        try:
            if not self._allow_private:
                # The resolver sees host names only: a literal address is checked here.
                check_literal(URL(url).host or "")
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return Answer(response.status)
                said = f"answered {response.status} {response.reason or ''}".strip()
                if 300 <= response.status < 400:
                    said += " (redirects are not followed)"
                return Answer(response.status, said)
        except ForbiddenAddress as exc:
            return Answer(None, f"refused: {exc}")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, ForbiddenAddress):
                return Answer(None, f"refused: {exc.os_error}")
            return Answer(None, f"cannot connect: {exc.os_error or exc}")
        except TimeoutError:
            return Answer(None, f"no answer within {TIMEOUT_SECONDS:g} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Answer(None, f"failed: {exc!r}")
