"""The one error hierarchy of the domain. The HTTP layer maps each class to a
status code; ``code`` is the stable machine-readable name clients switch on, and
``reason``, where a refusal has one, says which of the refusals sharing a code it is."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class Reason(StrEnum):
    """Why a reader's request was refused, finer than its ``code``: the stable names a client
    (the widget) writes its own sentence for, in the reader's language. Every reason is here."""

    BAD_CREDENTIALS = "bad_credentials"  # no such account, or not its password
    TAKEN = "taken"  # the username or the e-mail address (which one is not said)
    COMMON_PASSWORD = "common_password"
    LOOKS_LIKE_A_USERNAME = "looks_like_a_username"  # a display name another reader's username looks like
    AT_SIGN = "at_sign"  # an @ (or a look-alike) in a display name
    FORBIDDEN_CHARACTERS = "forbidden_characters"  # control, invisible, unassigned characters
    SESSION_ENDED = "session_ended"  # the refresh token is spent, revoked or expired
    ACCOUNT_GONE = "account_gone"
    BANNED = "banned"  # with ``ban_reason``, and ``banned_until`` unless the ban is permanent
    LOCKED = "locked"  # the article takes no new comments
    EDIT_WINDOW_CLOSED = "edit_window_closed"  # with ``edit_window_minutes``
    REMOVED = "removed"  # a comment a moderator removed is no longer edited
    ALREADY_REPORTED = "already_reported"
    ALREADY_APPEALED = "already_appealed"  # a removal is appealed once
    BAD_LINK = "bad_link"  # an e-mailed link or its token: unknown, altered, expired or used
    SSO_REFUSED = "sso_refused"  # a host site's sign-in token: forged, expired, retired secret, other site
    OTHER_SITE = "other_site"  # an account of a host site's sign-in comments on that site only
    # Signing in with an identity provider (OpenID Connect, GitHub), refused:
    STATE_MISMATCH = "state_mismatch"  # not started in this browser, already used, or too old
    NONCE_MISMATCH = "nonce_mismatch"  # the ID token was issued for another sign-in
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"  # the ID token was issued to another client
    TOKEN_EXPIRED = "token_expired"
    BAD_SIGNATURE = "bad_signature"  # unsigned, malformed, or not signed by one of the provider's keys
    PROVIDER_REFUSED = "provider_refused"  # the provider said no (the reader cancelled, a bad code)
    BAD_IDENTITY = "bad_identity"  # a subject that is empty, overlong or holds control characters
    NO_EMAIL = "no_email"  # the provider shares no e-mail address for a new account
    EMAIL_IN_USE = "email_in_use"  # an account has the address: sign in to it, then link
    IDENTITY_TAKEN = "identity_taken"  # the identity is linked to another account


class ServiceError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, *, field: str | None = None, reason: Reason | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.reason = reason

    def facts(self) -> dict[str, object]:
        """What a client needs, beside the reason, to say the refusal in its own words
        (additional fields of the error body)."""
        return {}


class Invalid(ServiceError):
    status_code = 400
    code = "invalid"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class Banned(Forbidden):
    """A reader banned from a site may read it, but not post, vote or report there."""

    def __init__(self, detail: str, *, until: datetime | None, why: str) -> None:
        super().__init__(detail, reason=Reason.BANNED)
        self.until = until
        self.why = why

    def facts(self) -> dict[str, object]:
        return {"banned_until": self.until, "ban_reason": self.why}


class EditWindowClosed(Forbidden):
    def __init__(self, detail: str, *, minutes: int) -> None:
        super().__init__(detail, reason=Reason.EDIT_WINDOW_CLOSED)
        self.minutes = minutes

    def facts(self) -> dict[str, object]:
        return {"edit_window_minutes": self.minutes}


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class RequestTimeout(ServiceError):
    """The client stopped sending its request; answered by the server itself, not by a route."""

    status_code = 408
    code = "request_timeout"


class TooLarge(ServiceError):
    """A request body beyond what its route takes (an uploaded file over the configured size)."""

    status_code = 413
    code = "too_large"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(ServiceError):
    """Well-formed, but cannot be done as asked (e.g. an Idempotency-Key reused for another request)."""

    status_code = 422
    code = "unprocessable"


class HeadersTooLarge(ServiceError):
    status_code = 431
    code = "headers_too_large"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.headers = headers


class Unavailable(ServiceError):
    """A backing service (PostgreSQL, Redis) cannot be reached right now."""

    status_code = 503
    code = "unavailable"


# What a client is told when a backing service is away: nothing of the driver's words reaches it.
AWAY_FOR_A_MOMENT = "The service is unavailable for a moment; please try again."


class DatabaseUnavailable(Unavailable):
    """PostgreSQL cannot be reached, or dropped the connection mid-statement: raised by ``store/``
    in place of the driver's errors (the driver's error is its ``__cause__``)."""

    def __init__(self, detail: str = AWAY_FOR_A_MOMENT) -> None:
        super().__init__(detail)


class RolledBack(Unavailable):
    """PostgreSQL rolled the transaction back whole (a deadlock, a serialization failure): nothing
    of it was done, and trying again will do; answered like a backend away for a moment."""

    def __init__(self, detail: str = AWAY_FOR_A_MOMENT) -> None:
        super().__init__(detail)


class RedisUnavailable(Unavailable):
    """Redis cannot be reached: raised by ``kv/`` in place of the driver's errors, where Redis
    is needed rather than merely faster (the cache and the rate limits get by without it)."""

    def __init__(self, detail: str = AWAY_FOR_A_MOMENT) -> None:
        super().__init__(detail)
