"""One-click unsubscribe links (RFC 8058): each names an account and the kind of notification it
stops, signed, with no expiry (an old e-mail's link must still work), and needs no sign-in."""

from __future__ import annotations

from enum import StrEnum

from commentsvc.domain.links import Links
from commentsvc.errors import Invalid, Reason

PURPOSE = "unsubscribe"


class Kind(StrEnum):
    """The kinds of notification e-mail a reader can stop, each a setting of theirs."""

    REPLIES = "replies"  # replies to their comments
    MODERATION = "moderation"  # alerts and digests of their sites' queues


def unsubscribe_url(links: Links, user_id: int, kind: Kind) -> str:
    return links.url("/unsubscribe", token=links.sign(PURPOSE, {"sub": str(user_id), "kind": kind.value}))


def unsubscribing(links: Links, token: str) -> tuple[int, Kind]:
    """Whom a token unsubscribes, and from what."""
    claims = links.read(PURPOSE, token)
    try:
        return int(claims["sub"]), Kind(claims["kind"])
    except (KeyError, ValueError):
        raise Invalid("token: this link is not valid.", field="token", reason=Reason.BAD_LINK) from None
