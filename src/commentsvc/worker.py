"""What each worker of `commentsvc serve` runs: the plain application, with the process tuned
for serving it (log records, the C heap, the garbage collector). Tuning acts on the whole
process, so it is applied here, by the command that owns the process, and never by the
application factory: tests and anyone embedding the application get it untouched."""

from __future__ import annotations

from commentsvc.api.observe import Observed
from commentsvc.app import create_asgi
from commentsvc.config import Settings
from commentsvc.heap import startup_objects_frozen, trimmed_heap
from commentsvc.logs import lean_records


def create_worker(settings: Settings | None = None) -> Observed:
    """uvicorn's factory, called once in each worker process."""
    lean_records()
    return create_asgi(settings, lifespans=[trimmed_heap, startup_objects_frozen])
