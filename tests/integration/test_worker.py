"""Process tuning is `commentsvc serve`'s (commentsvc.worker): a worker's factory tunes its
process while the application runs; the application alone leaves the process as it found it."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator

import pytest

from commentsvc.app import create_app
from commentsvc.heap import trim_every
from commentsvc.worker import create_worker

SWITCHES = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")


def _logging_switches() -> dict[str, object]:
    return {name: getattr(logging, name) for name in SWITCHES}


def _trimming() -> bool:
    return any(task.get_coro().cr_code is trim_every.__code__ for task in asyncio.all_tasks())  # type: ignore[union-attr]


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """The worker's switches are for the whole process: this test process gets its own back."""
    kept = _logging_switches()
    yield
    for name, value in kept.items():
        setattr(logging, name, value)


async def test_the_application_alone_tunes_nothing_in_its_process(settings):
    switches = _logging_switches()
    async with create_app(settings).lifespan():
        assert gc.get_freeze_count() == 0
        assert not _trimming()
        assert _logging_switches() == switches


async def test_a_served_worker_tunes_its_process_while_the_application_runs(settings, logging_restored):
    asgi = create_worker(settings)
    assert _logging_switches() == dict.fromkeys(SWITCHES, False) | {"_srcfile": None}
    async with asgi.app.lifespan():
        assert gc.get_freeze_count() > 0  # what exists once started
        assert _trimming()
    assert gc.get_freeze_count() == 0
    assert not _trimming()
