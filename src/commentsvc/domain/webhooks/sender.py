"""Posting each due delivery to its receiver, in every process. A sender claims due deliveries
under a lease (another sender takes them only once it runs out: a process that dies mid-post
loses nothing), no more than its free slots: ``concurrency`` posts at a time in all, at most
``per_webhook`` of them to any one webhook, so a receiver that is slow to answer (10 s at most)
takes only its own slots. A delivery that fails is tried again after a delay that grows with
each attempt, for more than a day (WEBHOOK_RETRIES), then is dead. Every attempt is recorded on
the delivery and as its webhook's last; finished deliveries are kept LOG_RETENTION."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import timedelta

import asyncpg

from commentsvc.background import stop_tasks
from commentsvc.domain.webhooks.signing import headers, payload
from commentsvc.errors import DatabaseUnavailable
from commentsvc.model.events import Retries
from commentsvc.model.webhooks import DueDelivery
from commentsvc.store import webhooks as store
from commentsvc.store.pool import connection
from commentsvc.webhooks.client import WebhookClient

log = logging.getLogger("commentsvc.webhooks")

# 5 s, doubling up to an hour: 34 attempts span about 24.4 hours.
WEBHOOK_RETRIES = Retries(first=timedelta(seconds=5), most=timedelta(hours=1), attempts=34)
# Longer than a post may take (the client's timeout), so a lease never runs out mid-post.
LEASE = timedelta(seconds=60)
POLL_SECONDS = 2.0
CONCURRENCY = 16
PER_WEBHOOK = 2
LOG_RETENTION = timedelta(days=7)
PRUNE_EVERY_SECONDS = 600.0
PRUNE_BATCH = 10_000


class WebhookSender:
    def __init__(self, pool: asyncpg.Pool, client: WebhookClient) -> None:
        self._pool = pool
        self._client = client
        self._woken = asyncio.Event()
        # Posts in flight: each one's task, and how many go to each webhook.
        self._posts: set[asyncio.Task[None]] = set()
        self._sending: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for due deliveries now (new ones were written)."""
        self._woken.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="commentsvc-webhooks")

    async def stop(self) -> None:
        """Posts cut short are sent again once their lease runs out."""
        await stop_tasks(self._task, *self._posts)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_prune = loop.time()
        while True:
            self._woken.clear()
            try:
                await self._claim()
                if loop.time() >= next_prune:
                    async with connection(self._pool) as conn:
                        await store.prune(conn, LOG_RETENTION, PRUNE_BATCH)
                    next_prune = loop.time() + PRUNE_EVERY_SECONDS
            except DatabaseUnavailable as exc:
                log.warning(
                    "webhooks: PostgreSQL unavailable, sending resumes when it answers: %r", exc.__cause__
                )
            except Exception:
                log.exception("webhooks: sender pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), POLL_SECONDS)

    async def _claim(self) -> None:
        free = CONCURRENCY - len(self._posts)
        if free <= 0:
            return
        async with connection(self._pool) as conn:
            claimed = await store.claim(conn, dict(self._sending), PER_WEBHOOK, free, LEASE)
        for due in claimed:
            self._sending[due.webhook_id] += 1
            post = asyncio.create_task(self._post(due), name=f"commentsvc-webhook-{due.webhook_id}")
            self._posts.add(post)
            post.add_done_callback(lambda task, webhook_id=due.webhook_id: self._posted(task, webhook_id))

    def _posted(self, task: asyncio.Task[None], webhook_id: int) -> None:
        self._posts.discard(task)
        self._sending[webhook_id] -= 1
        if not self._sending[webhook_id]:
            del self._sending[webhook_id]
        self._woken.set()  # a slot is free
        if not task.cancelled() and task.exception() is not None:
            log.error("webhooks: a post failed", exc_info=task.exception())

    async def _post(self, due: DueDelivery) -> None:
        body = payload(due.event)
        answer = await self._client.post(
            due.url, body, headers(due.secret, due.event, body, int(time.time()))
        )
        retry_in = None
        if answer.error is not None:
            if due.attempt < WEBHOOK_RETRIES.attempts:
                retry_in = WEBHOOK_RETRIES.delay(due.attempt)
            else:
                log.warning(
                    "webhooks: event %s to webhook %s is dead after %s attempts: %s",
                    due.event.id, due.webhook_id, due.attempt, answer.error,
                )  # fmt: skip
        try:
            async with connection(self._pool) as conn:
                await store.record(conn, due.webhook_id, due.event.id, answer.status, answer.error, retry_in)
        except DatabaseUnavailable:
            log.warning(
                "webhooks: attempt at event %s not recorded; sent again once its lease runs out", due.event.id
            )
        except Exception:
            log.exception("webhooks: recording an attempt failed")
