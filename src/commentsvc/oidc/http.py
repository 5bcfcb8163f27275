"""The service's few calls to identity providers (discovery, keys, token endpoint, GitHub's API):
JSON only, small answers, no redirects followed, ``TIMEOUT_SECONDS`` at most. A provider that cannot
be reached is Unavailable (503); one that refuses the exchange is a refused sign-in."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from commentsvc import __version__
from commentsvc.errors import Reason, Unauthorized, Unavailable

TIMEOUT_SECONDS = 10.0
# A discovery document, a key set or a token response: kilobytes. More is no provider's answer.
MAX_ANSWER_BYTES = 256 * 1024
USER_AGENT = f"commentsvc/{__version__} (sign-in)"
UNREACHABLE = "The identity provider cannot be reached right now; please try again."


class ProviderClient:
    """One HTTP session for every provider; ``open`` it in the running event loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        return await self._call("GET", url, headers=headers)

    async def post_form(self, url: str, form: Mapping[str, str], auth: tuple[str, str] | None = None) -> Any:
        headers = {}
        if auth is not None:
            headers["authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return await self._call("POST", url, data=dict(form), headers=headers)

    async def _call(self, method: str, url: str, **options: Any) -> Any:
        assert self._session is not None, "ProviderClient.open() first"
        try:
            async with self._session.request(method, url, allow_redirects=False, **options) as response:
                body = await response.content.read(MAX_ANSWER_BYTES + 1)
                if len(body) > MAX_ANSWER_BYTES:
                    raise Unavailable(f"The identity provider's answer from {url} is too large.")
                if 400 <= response.status < 500:
                    # The provider's own words (a bad code, a wrong secret) are for the log, not the reader.
                    raise Unauthorized(
                        f"The identity provider refused the sign-in ({response.status}).",
                        reason=Reason.PROVIDER_REFUSED,
                    )
                if response.status != 200:
                    raise Unavailable(UNREACHABLE)
                try:
                    return json.loads(body)
                except ValueError:
                    raise Unavailable(f"The identity provider's answer from {url} is not JSON.") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Unavailable(UNREACHABLE) from exc
