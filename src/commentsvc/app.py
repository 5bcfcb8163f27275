"""The application factory: routes, dependencies, error handling and the
lifespan that owns the PostgreSQL pool and the Redis client."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from commentsvc import __version__
from commentsvc.api import (
    account_changes,
    account_pages,
    accounts,
    comments,
    demo,
    health,
    home,
    moderation,
    pages,
    widget,
)
from commentsvc.api.bodies import JsonBodyRequest
from commentsvc.api.cors import SiteCors
from commentsvc.api.deps import DEPENDENCIES
from commentsvc.api.errors import EXCEPTION_HANDLERS
from commentsvc.api.observe import Observed
from commentsvc.api.openapi import ClosedRequestBodies
from commentsvc.api.reference import ReferencePage
from commentsvc.api.security import BearerAuthentication, JsonOnly
from commentsvc.config import Settings, load_settings
from commentsvc.domain.account_changes import AccountChanges
from commentsvc.domain.account_tokens import AccountTokens
from commentsvc.domain.accounts import Accounts
from commentsvc.domain.cached_pages import StalePages
from commentsvc.domain.comments import Comments
from commentsvc.domain.events import Dispatcher, Subscriber
from commentsvc.domain.letters.accounts import ACCOUNT_TYPES, AccountLetters
from commentsvc.domain.letters.postman import MailSubscriber, Postman
from commentsvc.domain.links import Links
from commentsvc.domain.moderation import Moderation
from commentsvc.domain.passwords import Passwords
from commentsvc.domain.posting import Posting
from commentsvc.domain.queue_feed import QueueFeed
from commentsvc.domain.sites import OriginDirectory
from commentsvc.domain.tokens import AccessTokens
from commentsvc.kv.batch import Batched
from commentsvc.kv.cache import GenerationalCache
from commentsvc.kv.client import create_client
from commentsvc.kv.keys import Keys
from commentsvc.kv.queue import ModerationQueue
from commentsvc.kv.ratelimit import RateLimiter
from commentsvc.mail.transport import transport_for
from commentsvc.store.pool import create_batches_pool, create_events_pool, create_pool

REQUEST_MAX_BODY_BYTES = 128 * 1024
Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    settings: Settings = app.state.settings
    redis = create_client(settings)
    keys = Keys(settings.redis_prefix)
    # The hot paths' calls (rate limits, cache) share round trips between concurrent requests.
    batched = Batched(redis)
    cache = GenerationalCache(batched, keys)
    passwords = Passwords(settings)
    app.state.redis = redis
    app.state.limiter = RateLimiter(batched, keys)
    app.state.pool = pool = await create_pool(settings)
    batches_pool = await create_batches_pool(settings)
    queue = ModerationQueue(redis, keys)
    feed = QueueFeed(queue)
    app.state.postman = Postman(transport_for(settings), settings.mail_from)
    account_tokens = AccountTokens(_derived_key(settings, b"account-tokens"))
    # What follows from each change is a subscriber of its events.
    subscribers: list[Subscriber] = [
        StalePages(cache),
        feed,
        MailSubscriber(
            "account-mail", ACCOUNT_TYPES, AccountLetters(app.state.links, account_tokens), app.state.postman
        ),
    ]
    events_pool = await create_events_pool(settings, len(subscribers))
    events = Dispatcher(events_pool, settings.database_url, subscribers)
    app.state.accounts = Accounts(
        passwords,
        app.state.access_tokens,
        settings.refresh_token_days,
        events,
        _derived_key(settings, b"refresh-successor"),
        account_tokens,
    )
    app.state.account_changes = AccountChanges(app.state.accounts, account_tokens, events)
    app.state.comments = Comments(cache, pool, events)
    app.state.posting = Posting(_derived_key(settings, b"client-address"), events, pool, batches_pool)
    app.state.moderation = Moderation(
        queue, feed, events, timedelta(seconds=settings.moderation_claim_seconds)
    )
    events.start()
    try:
        yield
    finally:
        await events.stop()
        await events_pool.close()
        await app.state.pool.close()
        await batches_pool.close()
        await batched.aclose()
        await redis.aclose()
        passwords.close()


def _derived_key(settings: Settings, purpose: bytes) -> bytes:
    """A key of its own for each purpose (hashing client addresses, deriving refresh and e-mail tokens):
    derived from the secret, never stored."""
    return hashlib.sha256(purpose + b":" + settings.jwt_secret.encode()).digest()


def create_app(settings: Settings | None = None, lifespans: Sequence[Lifespan] = ()) -> Litestar:
    """The application, and nothing done to the process it runs in: ``lifespans`` are entered
    after its own, for those who run it to tune their process (`commentsvc serve`'s workers)."""
    settings = settings or load_settings()
    # What needs no I/O is made here; the lifespan adds the rest (pool, Redis and what uses them).
    state = State(
        {
            "settings": settings,
            "access_tokens": AccessTokens(settings),
            "origins": OriginDirectory(),
            "links": Links(settings),
        }
    )
    return Litestar(
        route_handlers=[
            accounts.AuthController,
            accounts.MeController,
            account_changes.PasswordController,
            account_changes.OwnAccountController,
            comments.SiteCommentsController,
            comments.CommentController,
            comments.preview,
            moderation.SiteModerationController,
            moderation.DecisionController,
            *health.HANDLERS,
            *pages.HANDLERS,
            *account_pages.HANDLERS,
            *widget.HANDLERS,
            demo.demo_index,
            demo.demo_page,
            home.home,
        ],
        dependencies=DEPENDENCIES,
        middleware=[SiteCors, JsonOnly, BearerAuthentication],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_class=JsonBodyRequest,
        lifespan=[lifespan, *lifespans],
        state=state,
        plugins=[ClosedRequestBodies()],
        openapi_config=OpenAPIConfig(
            title="commentsvc",
            version=__version__,
            description="Comments and community moderation. The HTTP contract, version 1.",
            path="/schema",
            render_plugins=[ReferencePage()],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
        # Generous for a 10,000-character comment, small enough to refuse floods early.
        request_max_body_size=REQUEST_MAX_BODY_BYTES,
        debug=False,
        logging_config=None,  # `commentsvc serve` configures logging; the app must not reset it
    )


def create_asgi(settings: Settings | None = None, lifespans: Sequence[Lifespan] = ()) -> Observed:
    """What uvicorn serves: the application inside its request log and metrics."""
    return Observed(create_app(settings, lifespans))
