"""A worker's memory while it runs: freed memory handed back to the operating system, and what
the garbage collector need not walk. Lifespans for `commentsvc serve`'s workers (commentsvc.worker),
never part of the application itself: they act on the whole process.

A worker's heap churns through large blocks (thread pages, their gzipped forms, Redis
replies). glibc keeps what is freed inside its heap for reuse and returns only the top, so
under a steady load a worker's RSS crept up while its live data did not grow (bench/README.md,
"Soak"). Two glibc calls help: ``mallopt`` keeps blocks of MMAP_THRESHOLD_BYTES or more out of
the heap (each gets pages of its own, handed back when freed; left alone, glibc raises that
threshold to the largest block freed so far, and big pages then fragment the heap), and
``malloc_trim`` gives the heap's free pages back. Elsewhere (musl, macOS) there is nothing to call."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import AsyncIterator, Callable
from functools import cache
from typing import Any

from litestar import Litestar

from commentsvc.background import stop_tasks

TRIM_EVERY_SECONDS = 10.0
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept rather than raised
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


@contextlib.asynccontextmanager
async def trimmed_heap(_: Litestar) -> AsyncIterator[None]:
    """Lifespan: large blocks kept out of the heap, and the heap trimmed every
    TRIM_EVERY_SECONDS while the application runs."""
    map_large_blocks(MMAP_THRESHOLD_BYTES)
    trim = malloc_trim()
    if trim is None:
        yield
        return
    task = asyncio.create_task(trim_every(trim, TRIM_EVERY_SECONDS))
    try:
        yield
    finally:
        await stop_tasks(task)


@contextlib.asynccontextmanager
async def startup_objects_frozen(_: Litestar) -> AsyncIterator[None]:
    """Lifespan: what exists once the application has started (modules, the application, its
    routes) lives as long as it does, so the garbage collector's full passes stop walking it
    (bench/README.md, "Figures behind the code"). Frozen after a collection, so no garbage of
    the start-up is kept; thawed when it stops."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or None where the C library has none."""
    trim = _glibc("malloc_trim")
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0)


def map_large_blocks(threshold: int) -> bool:
    """Blocks of ``threshold`` bytes or more get pages of their own from now on; False where
    the C library cannot be told."""
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def _glibc(function: str) -> Any:
    return getattr(_libc(), function, None)


@cache
def _libc() -> ctypes.CDLL | None:
    # Looked up once: find_library runs ldconfig in a subprocess.
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


async def trim_every(trim: Callable[[], object], seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        # In a thread: walking the heap takes milliseconds the event loop keeps serving meanwhile
        # (ctypes lets go of the GIL for the call).
        await asyncio.to_thread(trim)
