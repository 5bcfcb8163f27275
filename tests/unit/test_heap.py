"""Freed memory is handed back to the operating system now and then (commentsvc.heap)."""

from __future__ import annotations

import asyncio
import contextlib
import gc

from commentsvc.heap import (
    MMAP_THRESHOLD_BYTES,
    malloc_trim,
    map_large_blocks,
    startup_objects_frozen,
    trim_every,
)


def test_glibc_trim_is_found_and_answers():
    trim = malloc_trim()  # Debian, where the service and its CI run, has glibc
    assert trim is not None
    assert trim() in (0, 1)  # 1: memory was given back, 0: there was none to give


def test_glibc_takes_the_threshold_for_large_blocks():
    assert map_large_blocks(MMAP_THRESHOLD_BYTES)  # Debian's glibc: mallopt says it took it


async def test_the_heap_is_trimmed_again_and_again_until_the_service_stops():
    loop = asyncio.get_running_loop()
    trims: asyncio.Queue[bool] = asyncio.Queue()
    task = asyncio.create_task(trim_every(lambda: loop.call_soon_threadsafe(trims.put_nowait, True), 0.001))
    for _ in range(3):
        assert await asyncio.wait_for(trims.get(), timeout=10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_what_exists_at_start_up_is_left_out_of_collections_until_the_service_stops():
    async with startup_objects_frozen(None):  # type: ignore[arg-type]
        assert gc.get_freeze_count() > 10_000  # the modules, this test's and pytest's objects
    assert gc.get_freeze_count() == 0
