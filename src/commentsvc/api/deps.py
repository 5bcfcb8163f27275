"""What handlers get injected: a pooled connection per request and the domain services."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import asyncpg
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from commentsvc.api.security import provide_principal
from commentsvc.domain.account_changes import AccountChanges
from commentsvc.domain.accounts import Accounts
from commentsvc.domain.appeals import Appeals
from commentsvc.domain.author_records import AuthorRecords
from commentsvc.domain.bulk import BulkDecisions
from commentsvc.domain.comments import Comments
from commentsvc.domain.moderation import Moderation
from commentsvc.domain.pins import Pins
from commentsvc.domain.reading import Reading
from commentsvc.domain.tokens import Principal
from commentsvc.domain.webhooks.registry import Webhooks
from commentsvc.store.pool import connection

Conn = NamedDependency[asyncpg.Connection]
Pool = NamedDependency[asyncpg.Pool]
AccountsService = NamedDependency[Accounts]
AccountChangesService = NamedDependency[AccountChanges]
CommentsService = NamedDependency[Comments]
AppealsService = NamedDependency[Appeals]
ModerationService = NamedDependency[Moderation]
WebhooksService = NamedDependency[Webhooks]
BulkService = NamedDependency[BulkDecisions]
AuthorRecordsService = NamedDependency[AuthorRecords]
PinsService = NamedDependency[Pins]
# Reads a replica may serve (see domain.reading).
ReadingService = NamedDependency[Reading]
# The signed-in caller, on routes that require one.
Caller = NamedDependency[Principal]


async def provide_connection(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    async with connection(state.pool) as conn:
        yield conn


def provide_pool(state: State) -> asyncpg.Pool:
    """For the few handlers that must not hold a connection throughout (password hashing)."""
    return state.pool


def provide_accounts(state: State) -> Accounts:
    return state.accounts


def provide_account_changes(state: State) -> AccountChanges:
    return state.account_changes


def provide_comments(state: State) -> Comments:
    return state.comments


def provide_appeals(state: State) -> Appeals:
    return state.appeals


def provide_moderation(state: State) -> Moderation:
    return state.moderation


def provide_webhooks(state: State) -> Webhooks:
    return state.webhooks


def provide_bulk(state: State) -> BulkDecisions:
    return state.bulk


def provide_author_records(state: State) -> AuthorRecords:
    return state.author_records


def provide_pins(state: State) -> Pins:
    return state.pins


def provide_reading(state: State) -> Reading:
    return state.reading


DEPENDENCIES = {
    "conn": Provide(provide_connection),
    "db": Provide(provide_pool, sync_to_thread=False),
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "account_changes": Provide(provide_account_changes, sync_to_thread=False),
    "comments": Provide(provide_comments, sync_to_thread=False),
    "appeals": Provide(provide_appeals, sync_to_thread=False),
    "moderation": Provide(provide_moderation, sync_to_thread=False),
    "webhooks": Provide(provide_webhooks, sync_to_thread=False),
    "bulk": Provide(provide_bulk, sync_to_thread=False),
    "records": Provide(provide_author_records, sync_to_thread=False),
    "pins": Provide(provide_pins, sync_to_thread=False),
    "reading": Provide(provide_reading, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
}
