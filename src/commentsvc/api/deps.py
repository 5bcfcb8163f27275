"""What handlers get injected: a pooled connection per request and the domain services."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import asyncpg
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from commentsvc.api.security import provide_principal
from commentsvc.domain.accounts import Accounts
from commentsvc.domain.tokens import Principal

POOL_ACQUIRE_TIMEOUT_SECONDS = 5

Conn = NamedDependency[asyncpg.Connection]
AccountsService = NamedDependency[Accounts]
Caller = NamedDependency[Principal]


async def provide_connection(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    async with state.pool.acquire(timeout=POOL_ACQUIRE_TIMEOUT_SECONDS) as conn:
        yield conn


def provide_accounts(state: State) -> Accounts:
    return state.accounts


DEPENDENCIES = {
    "conn": Provide(provide_connection),
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
}
