"""Imports started from the dashboard (sql/0029): each job queued, claimed under a lease by one
process, kept (progress, lease) while it runs, and ended done or failed. Every write of a running
job names the claim it was made under: a process whose job was taken over changes nothing."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import msgspec

from commentsvc.model.import_jobs import ClaimedJob, ImportJob
from commentsvc.model.imports import ImportSummary, KeyMode, Source

_JOB = """SELECT j.id, s.slug AS site, j.source, j.key_mode, j.state, j.file_bytes, j.records_read,
                 j.created_at, j.started_at, j.finished_at, u.username AS started_by,
                 j.summary::text AS summary, j.failure
          FROM import_jobs j JOIN sites s ON s.id = j.site_id LEFT JOIN users u ON u.id = j.started_by"""
_SUMMARY = msgspec.json.Decoder(ImportSummary)


def _job(row: asyncpg.Record) -> ImportJob:
    return ImportJob(
        id=row["id"],
        site=row["site"],
        format=Source(row["source"]),
        key=KeyMode(row["key_mode"]),
        state=row["state"],
        file_bytes=row["file_bytes"],
        records_read=row["records_read"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        started_by=row["started_by"],
        summary=_SUMMARY.decode(row["summary"]) if row["summary"] is not None else None,
        failure=row["failure"],
    )


async def insert(
    conn: asyncpg.Connection,
    site_id: int,
    source: Source,
    key_mode: KeyMode,
    file_name: str,
    file_bytes: int,
    started_by: int,
) -> ImportJob:
    job_id = await conn.fetchval(
        """INSERT INTO import_jobs (site_id, source, key_mode, file_name, file_bytes, started_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        site_id, source.value, key_mode.value, file_name, file_bytes, started_by,
    )  # fmt: skip
    row = await conn.fetchrow(f"{_JOB} WHERE j.id = $1", job_id)
    return _job(row)


async def get(conn: asyncpg.Connection, site_id: int, job_id: int) -> ImportJob | None:
    row = await conn.fetchrow(f"{_JOB} WHERE j.id = $1 AND j.site_id = $2", job_id, site_id)
    return _job(row) if row is not None else None


async def of_site(conn: asyncpg.Connection, site_id: int, limit: int) -> list[ImportJob]:
    """The site's latest jobs, the newest first."""
    rows = await conn.fetch(f"{_JOB} WHERE j.site_id = $1 ORDER BY j.id DESC LIMIT $2", site_id, limit)
    return [_job(row) for row in rows]


async def claim(conn: asyncpg.Connection, lease: timedelta) -> ClaimedJob | None:
    """The oldest job that may run now, leased to the caller: queued, or running under a lease
    that ran out (its process died), and the oldest of its site not yet ended, so that a site's
    jobs run one at a time, in order. Claiming it again starts it from the beginning."""
    row = await conn.fetchrow(
        """WITH next AS (
               SELECT j.id FROM import_jobs j
               WHERE j.state IN ('queued', 'running')
                 AND (j.state = 'queued' OR j.leased_until < now())
                 AND NOT EXISTS (SELECT 1 FROM import_jobs e
                                 WHERE e.site_id = j.site_id AND e.state IN ('queued', 'running')
                                   AND e.id < j.id)
               ORDER BY j.id LIMIT 1
               FOR UPDATE SKIP LOCKED)
           UPDATE import_jobs j
           SET state = 'running', attempts = j.attempts + 1, leased_until = now() + $1,
               started_at = now(), records_read = 0
           FROM next, sites s
           WHERE j.id = next.id AND s.id = j.site_id
           RETURNING j.id, s.slug, j.source, j.key_mode, j.file_name, j.attempts""",
        lease,
    )
    if row is None:
        return None
    return ClaimedJob(
        row["id"],
        row["slug"],
        Source(row["source"]),
        KeyMode(row["key_mode"]),
        row["file_name"],
        row["attempts"],
    )


async def keep(conn: asyncpg.Connection, job: ClaimedJob, records_read: int, lease: timedelta) -> bool:
    """Record the job's progress and renew its lease; False when the claim is no longer the
    caller's."""
    kept = await conn.fetchval(
        """UPDATE import_jobs SET records_read = $3, leased_until = now() + $4
           WHERE id = $1 AND attempts = $2 AND state = 'running' RETURNING true""",
        job.id, job.attempt, records_read, lease,
    )  # fmt: skip
    return kept is not None


async def finish(
    conn: asyncpg.Connection, job: ClaimedJob, records_read: int, summary: ImportSummary
) -> bool:
    """The job is done (in the import's own transaction); False when the claim is no longer the
    caller's."""
    done = await conn.fetchval(
        """UPDATE import_jobs
           SET state = 'done', summary = $3::jsonb, records_read = $4, finished_at = now(), leased_until = NULL
           WHERE id = $1 AND attempts = $2 AND state = 'running' RETURNING true""",
        job.id, job.attempt, msgspec.json.encode(summary).decode(), records_read,
    )  # fmt: skip
    return done is not None


async def fail(conn: asyncpg.Connection, job: ClaimedJob, failure: str) -> bool:
    failed = await conn.fetchval(
        """UPDATE import_jobs SET state = 'failed', failure = $3, finished_at = now(), leased_until = NULL
           WHERE id = $1 AND attempts = $2 AND state = 'running' RETURNING true""",
        job.id, job.attempt, failure[:1000],
    )  # fmt: skip
    return failed is not None


async def release(conn: asyncpg.Connection, job: ClaimedJob) -> None:
    """Give the job back (its process is stopping): queued again at once, the claim not counted."""
    await conn.execute(
        """UPDATE import_jobs
           SET state = 'queued', attempts = attempts - 1, leased_until = NULL, records_read = 0
           WHERE id = $1 AND attempts = $2 AND state = 'running'""",
        job.id,
        job.attempt,
    )


async def open_files(conn: asyncpg.Connection) -> set[str]:
    """The uploads of jobs not yet ended: every other file of the import directory is left over."""
    rows = await conn.fetch("SELECT file_name FROM import_jobs WHERE state IN ('queued', 'running')")
    return {row["file_name"] for row in rows}
