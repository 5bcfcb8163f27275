"""The account's own e-mails: an address to verify (a new account's, again on request, or a new
address to confirm), a reset link for a forgotten password, a password changed, an address
changed (told to the old one). Each is written again, the same, on every retry: its token is
derived from the id its event names, its date is the event's."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from commentsvc.domain.account_tokens import AccountTokens, Purpose
from commentsvc.domain.letters.compose import Action, compose
from commentsvc.domain.letters.texts import say
from commentsvc.domain.links import Links
from commentsvc.model.events import AccountChange, Event, EventType
from commentsvc.model.mail import Letter
from commentsvc.store import account_tokens, users

# An address verified is written no letter (its confirmation was the letter).
ACCOUNT_TYPES = frozenset(t for t in EventType if t.value.startswith("account.")) - {
    EventType.ACCOUNT_EMAIL_VERIFIED
}
# The page each token's link opens, and the sentences its letter is made of.
PAGES = {Purpose.VERIFY: "/account/verify", Purpose.EMAIL: "/account/verify", Purpose.RESET: "/account/reset"}
TOKEN_LETTERS = {Purpose.VERIFY: "verify", Purpose.EMAIL: "new_address", Purpose.RESET: "reset"}


class AccountLetters:
    def __init__(self, links: Links, tokens: AccountTokens) -> None:
        self._links = links
        self._tokens = tokens

    async def letters(self, event: Event, conn: asyncpg.Connection) -> Sequence[Letter]:
        change = AccountChange(**event.data)
        user = await users.get_user(conn, change.user_id)
        if user is None:  # erased since: nobody to write to
            return []
        language = user.language

        def letter(to: str, name: str, **values: str) -> Letter:
            return compose(
                key=f"account.{event.id}",
                to=to,
                to_name=user.display_name,
                language=language,
                subject=say(language, f"{name}_subject"),
                written_at=event.occurred_at,
                paragraphs=[say(language, f"{name}_{n}", username=user.username, **values) for n in (1, 2)],
                actions=[Action(say(language, f"{name}_action"), values["url"])] if "url" in values else [],
            )

        if change.token_id is not None:
            token = await account_tokens.get(conn, change.token_id)
            if token is None:
                return []
            purpose = Purpose(token.purpose)
            url = self._links.url(PAGES[purpose], token=self._tokens.token(purpose, token.id), lang=language)
            return [letter(token.email, TOKEN_LETTERS[purpose], url=url, email=token.email)]
        if event.type == EventType.ACCOUNT_PASSWORD_CHANGED:
            return [
                letter(user.email, "password_changed", url=self._links.url("/account/reset", lang=language))
            ]
        if event.type == EventType.ACCOUNT_EMAIL_CHANGED and change.email is not None:
            return [letter(change.email, "email_changed", email=user.email)]
        return []
