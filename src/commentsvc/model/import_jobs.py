"""Imports started from the dashboard (sql/0029): a job as its site's owners see it, and as the
process that claimed it runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from commentsvc.model.imports import ImportSummary, KeyMode, Source

JobState = Literal["queued", "running", "done", "failed"]


class ImportJob(msgspec.Struct, frozen=True):
    """``records_read``: threads and comments read from the file so far (the file's size is
    ``file_bytes``); ``summary`` once done, ``failure`` (a sentence) once failed."""

    id: int
    site: str
    format: Source
    key: KeyMode
    state: JobState
    file_bytes: int
    records_read: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    started_by: str | None  # the username of who uploaded the file (None: an erased account)
    summary: ImportSummary | None
    failure: str | None


class ClaimedJob(msgspec.Struct, frozen=True):
    """A job a process has just claimed: ``attempt`` is this claim's number, which its writes must
    still hold (another process took the job over otherwise)."""

    id: int
    site: str
    source: Source
    key_mode: KeyMode
    file_name: str
    attempt: int
