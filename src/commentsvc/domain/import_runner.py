"""Running the dashboard's imports in the background, in every process of the service, one at a
time in each. A process claims a job under a lease in PostgreSQL and renews it with the job's
progress after every batch the import reads; a process that dies mid-import (killed, its machine
lost) loses the lease, and another takes the job again from the start: the import is one
transaction, so the interrupted run left nothing. A process stopping gracefully gives its job
back at once. The uploaded file is deleted once its job is done or failed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import asyncpg

from commentsvc.background import stop_tasks
from commentsvc.domain.imports import Importer
from commentsvc.errors import Invalid, Unavailable
from commentsvc.imports import READERS
from commentsvc.model.import_jobs import ClaimedJob
from commentsvc.model.imports import ImportSummary
from commentsvc.store import import_jobs as store
from commentsvc.store.pool import connection

log = logging.getLogger("commentsvc.imports")

# A job whose process has not renewed its lease for this long is taken again by another.
LEASE = timedelta(seconds=20)
# The lease is renewed after every batch read, and at least this often (the merge at the end
# reads nothing for a while).
RENEW_SECONDS = 5.0
POLL_SECONDS = 2.0
# A job claimed this many times without ending (its process killed each time: a file that
# exhausts the machine, say) fails rather than kill more processes.
MOST_ATTEMPTS = 3
# Uploads no job waits for any more (their process stopped between the end and the deletion, or
# mid-upload), deleted once untouched for this long.
LEFT_OVER = timedelta(hours=1)
SWEEP_EVERY_SECONDS = 600.0

GONE = (
    "The uploaded file is gone: every process of the service must share the import directory "
    "(COMMENTSVC_IMPORT_DIR). Upload it again."
)
GAVE_UP = (
    f"The import was interrupted {MOST_ATTEMPTS} times (its process stopped); upload the file again, "
    "or import it with `commentsvc import` on the server."
)
UNEXPECTED = "The import failed on our side; the service's log says why. Nothing was imported."


class LeaseLost(Exception):
    """Another process took the job over: this one's run must change nothing."""


class ImportRunner:
    """``pool``: for the short statements (claims, progress), apart from the requests' pool;
    ``import_pool``: the connection the import's long transaction holds."""

    def __init__(self, pool: asyncpg.Pool, import_pool: asyncpg.Pool, directory: Path) -> None:
        self._pool = pool
        self._import_pool = import_pool
        self._directory = directory
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for a job now (one was just queued)."""
        self._woken.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="commentsvc-imports")

    async def stop(self) -> None:
        """A job being imported is given back (its transaction rolls back)."""
        await stop_tasks(self._task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while True:
            self._woken.clear()
            try:
                while await self.run_next():
                    pass
                if loop.time() >= next_sweep:
                    await self._sweep()
                    next_sweep = loop.time() + SWEEP_EVERY_SECONDS
            except Unavailable as exc:
                log.warning(
                    "imports: PostgreSQL unavailable, imports resume when it answers: %r", exc.__cause__
                )
            except Exception:
                log.exception("imports: runner pass failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # (stop) that lands as its wait ends (a wake), and the runner would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._woken.wait()

    async def run_next(self) -> bool:
        """Claim a job and run it to its end; False when none may run now."""
        async with connection(self._pool) as conn:
            job = await store.claim(conn, LEASE)
        if job is None:
            return False
        path = self._directory / job.file_name
        if job.attempt > MOST_ATTEMPTS:
            await self._end(job, path, GAVE_UP)
        elif not path.is_file():
            await self._end(job, path, GONE)
        else:
            await self._import(job, path)
        return True

    async def _import(self, job: ClaimedJob, path: Path) -> None:
        read = 0
        progressed = asyncio.Event()

        def progress(records: int) -> None:
            nonlocal read
            read += records
            progressed.set()

        work = asyncio.create_task(self._transaction(job, path, progress, lambda: read))
        keeper = asyncio.create_task(self._keep(job, lambda: read, progressed, work))
        try:
            try:
                summary = await work
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # this process is stopping
                await self._give_back(job)
                raise
            log.warning("imports: job %s was taken over by another process; its run here is dropped", job.id)
            return
        except LeaseLost:
            log.warning("imports: job %s was taken over by another process; its run here is dropped", job.id)
            return
        except Invalid as exc:  # the reader's one sentence on what is wrong with the file
            await self._end(job, path, exc.detail)
            return
        except Unavailable:
            raise  # taken again once its lease runs out, by whichever process PostgreSQL answers
        except Exception:
            log.exception("imports: job %s failed", job.id)
            await self._end(job, path, UNEXPECTED)
            return
        path.unlink(missing_ok=True)
        log.info(
            "imports: job %s into %s done: %s of %s comments created",
            job.id, job.site, summary.comments_created, summary.comments,
        )  # fmt: skip

    async def _transaction(
        self, job: ClaimedJob, path: Path, progress: Callable[[int], None], read: Callable[[], int]
    ) -> ImportSummary:
        """The import and the job's end in one transaction: done exactly when the comments are in."""
        async with connection(self._import_pool) as conn, conn.transaction():
            records = READERS[job.source](path)
            summary = await Importer(conn).run(job.site, job.source, records, job.key_mode, progress=progress)
            if not await store.finish(conn, job, read(), summary):
                raise LeaseLost()
        return summary

    async def _keep(
        self, job: ClaimedJob, read: Callable[[], int], progressed: asyncio.Event, work: asyncio.Task
    ) -> None:
        """Write the job's progress after each batch and renew its lease; once the lease is
        lost, cancel the run."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RENEW_SECONDS):
                    await progressed.wait()
            progressed.clear()
            try:
                async with connection(self._pool) as conn:
                    kept = await store.keep(conn, job, read(), LEASE)
            except Unavailable as exc:
                log.warning("imports: job %s: progress not recorded: %r", job.id, exc.__cause__)
                continue
            if not kept:
                work.cancel()
                return

    async def _end(self, job: ClaimedJob, path: Path, failure: str) -> None:
        async with connection(self._pool) as conn:
            failed = await store.fail(conn, job, failure)
        if failed:
            path.unlink(missing_ok=True)
            log.info("imports: job %s into %s failed: %s", job.id, job.site, failure)

    async def _give_back(self, job: ClaimedJob) -> None:
        try:
            async with connection(self._pool, timeout=1) as conn:
                await store.release(conn, job)
        except Exception as exc:
            log.warning(
                "imports: job %s not given back, taken again once its lease runs out: %r", job.id, exc
            )

    async def _sweep(self) -> None:
        """Delete uploads that no job waits for, once untouched for LEFT_OVER."""
        if not self._directory.is_dir():
            return
        async with connection(self._pool) as conn:
            waiting = await store.open_files(conn)
        older = time.time() - LEFT_OVER.total_seconds()
        for path in self._directory.glob("*.upload"):
            with contextlib.suppress(FileNotFoundError):
                if path.name not in waiting and path.stat().st_mtime < older:
                    path.unlink()
