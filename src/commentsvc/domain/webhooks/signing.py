"""What a receiver gets, as Standard Webhooks (standardwebhooks.com) has it: a JSON body of
``{type, timestamp, data}``, and headers naming the message (the event's id, the same on every
retry), the attempt's time and an HMAC-SHA256 signature of the three with the webhook's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import msgspec

from commentsvc.model.events import Event

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_JSON = msgspec.json.Encoder()


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def payload(event: Event) -> bytes:
    """The event's type, when it happened (ISO 8601), and its data with the slug of its site and
    the key of its article (when it is about one)."""
    data = {**event.data, "site": event.site}
    if event.article is not None:
        data["article"] = event.article
    return _JSON.encode({"type": event.type.value, "timestamp": event.occurred_at, "data": data})


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret: str, event: Event, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers of an attempt made at ``timestamp`` (Unix seconds)."""
    message_id = str(event.id)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
