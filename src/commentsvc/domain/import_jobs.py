"""Imports started from the dashboard: the uploaded file is streamed to the import directory
(never held in memory, refused beyond the configured size), then queued as a job that a process
of the service runs in the background (domain.import_runner). Who may: the site's owners (and
the service's admins), as ``owners.owned_site`` decides for everything an owner does."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg

from commentsvc.domain.owners import owned_site
from commentsvc.errors import Invalid, NotFound, TooLarge
from commentsvc.imports import READERS
from commentsvc.model.import_jobs import ImportJob
from commentsvc.model.imports import KeyMode, Source
from commentsvc.store import import_jobs as store
from commentsvc.store.pool import connection

# Received chunks are written a megabyte at a time, each write in a thread.
WRITE_BYTES = 1024 * 1024
LISTED = 100


def upload_name() -> str:
    """An upload's file name in the import directory (sql/0029 checks the form)."""
    return f"{secrets.token_hex(16)}.upload"


class ImportJobs:
    """``wake``: tells this process's runner a job was queued (the others find it by polling)."""

    def __init__(self, directory: Path, max_bytes: int, wake: Callable[[], None]) -> None:
        self._directory = directory
        self._max_bytes = max_bytes
        self._wake = wake

    async def start(
        self,
        pool: asyncpg.Pool,
        slug: str,
        caller: int,
        source: Source,
        key_mode: KeyMode,
        declared_bytes: int | None,
        body: AsyncIterator[bytes],
    ) -> ImportJob:
        """Receive the file ``body`` streams and queue its import. The upload may take minutes:
        a connection is held only to check the caller, then to queue the job."""
        async with connection(pool) as conn:
            site = await owned_site(conn, slug, caller)
        if source not in READERS:
            raise Invalid(f"format: this service cannot read {source} files yet.", field="format")
        if declared_bytes is not None and declared_bytes > self._max_bytes:
            raise self._too_large()
        name = upload_name()
        path = self._directory / name
        try:
            size = await self._receive(body, path)
            if size == 0:
                raise Invalid("file: the request body is empty; send the export file as it is.", field="file")
            async with connection(pool) as conn:
                job = await store.insert(conn, site.id, source, key_mode, name, size, caller)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._wake()
        return job

    async def listing(self, conn: asyncpg.Connection, slug: str, caller: int) -> list[ImportJob]:
        site = await owned_site(conn, slug, caller)
        return await store.of_site(conn, site.id, LISTED)

    async def get(self, conn: asyncpg.Connection, slug: str, caller: int, job_id: int) -> ImportJob:
        site = await owned_site(conn, slug, caller)
        job = await store.get(conn, site.id, job_id)
        if job is None:
            raise NotFound(f"Site {slug!r} has no import {job_id}.")
        return job

    def _too_large(self) -> TooLarge:
        return TooLarge(f"file: an import file may hold at most {self._max_bytes} bytes.", field="file")

    async def _receive(self, body: AsyncIterator[bytes], path: Path) -> int:
        """Write the body to ``path`` (readable by the service's user only: it holds the old
        system's authors and their addresses); its size."""
        await asyncio.to_thread(self._directory.mkdir, mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        size = 0
        with os.fdopen(fd, "wb") as file:
            pending = bytearray()
            async for chunk in body:
                size += len(chunk)
                if size > self._max_bytes:
                    raise self._too_large()
                pending += chunk
                if len(pending) >= WRITE_BYTES:
                    await asyncio.to_thread(file.write, pending)
                    pending = bytearray()
            await asyncio.to_thread(file.write, pending)
        return size
