"""The application factory: routes, dependencies, error handling and the
lifespan that owns the PostgreSQL pool and the Redis client."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from commentsvc import __version__
from commentsvc.api import (
    account_changes,
    account_pages,
    accounts,
    author_records,
    bulk,
    comments,
    decision_links,
    demo,
    health,
    home,
    imports,
    indexable,
    live,
    moderation,
    notifications,
    oidc,
    owners,
    pages,
    pins,
    search,
    sso,
    webhooks,
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
from commentsvc.domain.appeals import Appeals
from commentsvc.domain.author_records import AuthorRecords
from commentsvc.domain.bulk import BulkDecisions
from commentsvc.domain.cached_pages import StalePages
from commentsvc.domain.comments import Comments
from commentsvc.domain.decision_links import DecisionLinks
from commentsvc.domain.events import Dispatcher, Subscriber
from commentsvc.domain.feeds import Feeds
from commentsvc.domain.fragments import Fragments
from commentsvc.domain.guests import GuestClaims
from commentsvc.domain.identities import ProviderSignIn
from commentsvc.domain.import_jobs import ImportJobs
from commentsvc.domain.import_runner import ImportRunner
from commentsvc.domain.letters import alerts
from commentsvc.domain.letters.accounts import ACCOUNT_TYPES, AccountLetters
from commentsvc.domain.letters.appeals import appeal_mail
from commentsvc.domain.letters.digest import Digest
from commentsvc.domain.letters.postman import MailSubscriber, Postman
from commentsvc.domain.letters.replies import reply_mail
from commentsvc.domain.links import Links
from commentsvc.domain.live.announcing import LiveUpdates
from commentsvc.domain.live.streams import Hub
from commentsvc.domain.moderation import Moderation
from commentsvc.domain.passwords import Passwords
from commentsvc.domain.pins import Pins, UnpinRemoved
from commentsvc.domain.posting import Posting
from commentsvc.domain.queue_feed import OPENS, QueueFeed
from commentsvc.domain.reading import Reading
from commentsvc.domain.sites import OriginDirectory
from commentsvc.domain.sso import HostSignIn
from commentsvc.domain.tokens import AccessTokens
from commentsvc.domain.webhooks.fan_out import WebhookFanOut
from commentsvc.domain.webhooks.registry import Webhooks
from commentsvc.domain.webhooks.sender import WebhookSender
from commentsvc.kv.batch import Batched
from commentsvc.kv.cache import GenerationalCache
from commentsvc.kv.client import create_client
from commentsvc.kv.keys import Keys
from commentsvc.kv.live import LiveChannels
from commentsvc.kv.queue import ModerationQueue
from commentsvc.kv.ratelimit import RateLimiter
from commentsvc.kv.recent import RecentChanges
from commentsvc.kv.sign_in_flows import SignInFlows
from commentsvc.mail.transport import transport_for
from commentsvc.oidc.http import ProviderClient
from commentsvc.oidc.providers import providers_for
from commentsvc.store.pool import (
    create_batches_pool,
    create_events_pool,
    create_import_jobs_pool,
    create_imports_pool,
    create_pool,
    create_webhooks_pool,
)
from commentsvc.store.replicas import Reads, ReplicaMonitor, fresh_window_ms, open_replicas
from commentsvc.webhooks.client import WebhookClient

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
    replicas = await open_replicas(settings)
    replica_monitor = ReplicaMonitor(pool, replicas, settings.replica_max_lag_seconds)
    recent = RecentChanges(batched, keys, fresh_window_ms(settings))
    app.state.reading = reading = Reading(Reads(pool, replicas), recent)
    queue = ModerationQueue(redis, keys)
    feed = QueueFeed(queue)
    app.state.postman = postman = Postman(transport_for(settings), settings.mail_from)
    account_tokens = AccountTokens(_derived_key(settings, b"account-tokens"))
    moderator_alerts = alerts.AlertWriter(
        app.state.links, timedelta(seconds=settings.moderator_alert_seconds)
    )
    webhook_client = WebhookClient(settings.webhook_allow_private)
    await webhook_client.open()
    webhooks_pool = await create_webhooks_pool(settings)
    sender = WebhookSender(webhooks_pool, webhook_client)
    channels = LiveChannels(redis, keys)
    app.state.live = hub = Hub(channels, pool, settings.live_max_per_address)
    # What follows from each change is a subscriber of its events.
    claims, unpin = GuestClaims(), UnpinRemoved()
    subscribers: list[Subscriber] = [
        StalePages(cache, recent),
        claims,
        unpin,
        feed,
        MailSubscriber(
            "account-mail", ACCOUNT_TYPES, AccountLetters(app.state.links, account_tokens), postman
        ),
        MailSubscriber(alerts.NAME, alerts.TYPES, moderator_alerts, postman, wants=OPENS),
        reply_mail(postman, app.state.links, timedelta(seconds=settings.reply_mail_batch_seconds)),
        appeal_mail(postman),
        WebhookFanOut(sender),
        LiveUpdates(channels),
    ]
    events_pool = await create_events_pool(settings, len(subscribers))
    events = Dispatcher(events_pool, settings.database_url, subscribers)
    claims.events = unpin.events = events
    app.state.accounts = Accounts(
        passwords,
        app.state.access_tokens,
        settings.refresh_token_days,
        events,
        _derived_key(settings, b"refresh-successor"),
        account_tokens,
    )
    app.state.account_changes = AccountChanges(app.state.accounts, account_tokens, events)
    app.state.host_sign_in = HostSignIn(app.state.accounts, _derived_key(settings, b"sso-username"))
    provider_client = ProviderClient()
    await provider_client.open()
    app.state.sign_in = ProviderSignIn(
        providers_for(settings.oidc_providers, provider_client),
        SignInFlows(redis, keys),
        app.state.accounts,
        app.state.links,
        events,
    )
    app.state.comments = Comments(cache, pool, events, reading)
    app.state.fragments = Fragments(app.state.comments, cache, pool)
    app.state.feeds = Feeds(cache, reading, app.state.links)
    app.state.appeals = Appeals(pool, events)
    app.state.posting = Posting(_derived_key(settings, b"client-address"), events, pool, batches_pool)
    app.state.moderation = Moderation(
        queue, feed, events, timedelta(seconds=settings.moderation_claim_seconds)
    )
    app.state.decision_links = DecisionLinks(app.state.links, app.state.moderation)
    app.state.bulk = BulkDecisions(app.state.moderation, events)
    app.state.author_records = AuthorRecords(app.state.moderation)
    app.state.pins = Pins(events)
    digest = Digest(pool, postman, app.state.links)
    import_jobs_pool = await create_import_jobs_pool(settings)
    imports_pool = await create_imports_pool(settings)
    import_runner = ImportRunner(import_jobs_pool, imports_pool, Path(settings.import_dir))
    app.state.imports = ImportJobs(Path(settings.import_dir), settings.import_max_bytes, import_runner.wake)
    events.start()
    replica_monitor.start()
    hub.start()
    digest.start()
    sender.start()
    import_runner.start()
    try:
        yield
    finally:
        await hub.stop()
        await import_runner.stop()
        await sender.stop()
        await digest.stop()
        await events.stop()
        await replica_monitor.stop()
        await webhook_client.close()
        await provider_client.close()
        await webhooks_pool.close()
        await imports_pool.close()
        await import_jobs_pool.close()
        await events_pool.close()
        await app.state.pool.close()
        await batches_pool.close()
        for replica in replicas:
            await replica.pool.close()
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
            "webhooks": Webhooks(settings.webhook_allow_private),
        }
    )
    return Litestar(
        route_handlers=[
            accounts.AuthController,
            accounts.MeController,
            *sso.HANDLERS,
            oidc.SignInPopup,
            oidc.IdentityLinks,
            *notifications.HANDLERS,
            account_changes.PasswordController,
            account_changes.OwnAccountController,
            comments.SiteCommentsController,
            comments.CommentController,
            comments.preview,
            *indexable.HANDLERS,
            moderation.SiteModerationController,
            moderation.DecisionController,
            search.CommentSearchController,
            bulk.BulkController,
            author_records.AuthorRecordController,
            pins.PinController,
            decision_links.DecisionLinkController,
            webhooks.SiteWebhooksController,
            owners.SiteOwnersController,
            imports.SiteImportsController,
            *health.HANDLERS,
            *pages.HANDLERS,
            *account_pages.HANDLERS,
            *widget.HANDLERS,
            *live.HANDLERS,
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
