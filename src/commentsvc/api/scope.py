"""Reading the raw ASGI scope, for the middlewares that run before a Request exists."""

from __future__ import annotations

from litestar.types import Scope

# Set in a request's scope by the server (protocol.py) when it answered the client itself (a body
# that stopped arriving): that status is what the client got, whatever the application made of it.
ANSWERED_BY_SERVER = "commentsvc.answered_by_server"
# Set by the live updates route on its streams, which the server ends at once when it shuts down
# (protocol.py): they would otherwise hold it for its whole grace period.
LIVE_STREAM = "commentsvc.live_stream"


def header(scope: Scope, name: bytes) -> str:
    """The first value of a header (name in lower case), or ''."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""
