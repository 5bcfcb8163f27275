"""Reading request bodies: whatever bytes a client sends, a malformed body is its error (400), never ours."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException


class JsonBodyRequest(Request):
    async def json(self) -> Any:
        try:
            return await super().json()
        # msgspec reports invalid UTF-8 inside a string and absurd nesting with these
        # rather than DecodeError, which is all Litestar turns into a 400.
        except UnicodeDecodeError:
            raise SerializationException("The request body is not valid UTF-8.") from None
        except RecursionError:
            raise SerializationException("The request body is nested too deeply.") from None
