"""The account's e-mailed steps and its changes: a forgotten password, a reset and a verification
link's token, the verification e-mail again, a new password, display name or address."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody

from commentsvc.api.accounts import (
    EMAIL,
    NEW_PASSWORD,
    OPAQUE_TOKEN,
    PASSWORD,
)
from commentsvc.api.deps import AccountChangesService, Caller, Conn, Pool
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import enforce, rate_limit
from commentsvc.api.security import requires_token


class ForgotIn(msgspec.Struct, forbid_unknown_fields=True):
    email: EMAIL


class AcceptedOut(msgspec.Struct):
    """The same whether the address is known or not."""

    status: Literal["accepted"] = "accepted"
    detail: str = "If an account has this address, an e-mail with a reset link is on its way."


class ResetIn(msgspec.Struct, forbid_unknown_fields=True):
    token: OPAQUE_TOKEN
    password: NEW_PASSWORD


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    token: OPAQUE_TOKEN


class PasswordChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: PASSWORD
    new_password: NEW_PASSWORD


class VerificationOut(msgspec.Struct):
    status: Literal["accepted"] = "accepted"
    detail: str = "Unless the address is verified already, a verification e-mail is on its way."


class PasswordController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post(
        "/password/forgot",
        status_code=202,
        before_request=rate_limit(address="forgot"),
        responses=error_responses(400, 413, 415, 429, 503),
    )
    async def forgot(
        self, request: Request, data: JSONBody[ForgotIn], db: Pool, account_changes: AccountChangesService
    ) -> AcceptedOut:
        """Send a reset link to the address if an account has it. The answer is the same, and
        takes about the same time, whether one does or not."""
        await enforce(request, ("forgot_email", data.email.strip().lower()))
        await account_changes.forgot_password(db, data.email)
        return AcceptedOut()

    @post(
        "/password/reset",
        status_code=204,
        before_request=rate_limit(address="account_link"),
        responses=error_responses(400, 413, 415, 429, 503),
    )
    async def reset(self, data: JSONBody[ResetIn], db: Pool, account_changes: AccountChangesService) -> None:
        """Set a new password with a reset link's token (single-use, valid 1 hour); every
        session of the account ends. A token that is not valid, used or expired: 400 `bad_link`."""
        await account_changes.reset_password(db, data.token, data.password)

    @post(
        "/email/verify",
        status_code=204,
        before_request=rate_limit(address="account_link"),
        responses=error_responses(400, 409, 413, 415, 429, 503),
    )
    async def verify(
        self, data: JSONBody[VerifyIn], conn: Conn, account_changes: AccountChangesService
    ) -> None:
        """Prove an address with a verification link's token: the account's becomes verified, or
        a new address becomes the account's (409 when another account took it meanwhile)."""
        await account_changes.verify_email(conn, data.token)


class OwnAccountController(Controller):
    path = "/api/v1/me"
    tags = ["accounts"]
    guards = [requires_token]
    before_request = rate_limit(address="account")
    security = [{"bearer": []}]

    @post(
        "/password",
        status_code=204,
        before_request=rate_limit(address="account", user="password_user"),
        responses=error_responses(400, 401, 403, 413, 415, 429, 503),
    )
    async def change_password(
        self,
        principal: Caller,
        data: JSONBody[PasswordChangeIn],
        db: Pool,
        account_changes: AccountChangesService,
    ) -> None:
        """Change the password (the current one confirms it): every other session ends, the
        caller's stays. 403 when the current password is wrong."""
        await account_changes.change_password(
            db, principal.user_id, principal.session, data.current_password, data.new_password
        )

    @post(
        "/email/verification",
        status_code=202,
        before_request=rate_limit(address="account", user="verification_user"),
        responses=error_responses(401, 429, 503),
    )
    async def request_verification(
        self, principal: Caller, conn: Conn, account_changes: AccountChangesService
    ) -> VerificationOut:
        """Send the verification e-mail again; for an address already verified, nothing is sent
        (and the answer is the same)."""
        await account_changes.request_verification(conn, principal.user_id)
        return VerificationOut()
