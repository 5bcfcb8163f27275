"""Reading the raw ASGI scope, for the middlewares that run before a Request exists."""

from __future__ import annotations

from litestar.types import Scope


def header(scope: Scope, name: bytes) -> str:
    """The first value of a header (name in lower case), or ''."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""
