"""The tasks a process runs beside its requests (the event dispatcher, the live updates'
subscription, the webhook sender, the replica monitor, the digest, the imports, the heap's
trimming), stopped one way: cancelled until they have ended."""

from __future__ import annotations

import asyncio
import contextlib

# How long a stop waits for a cancelled task before cancelling it again.
RECANCEL_SECONDS = 0.05


async def stop_tasks(*tasks: asyncio.Task | None) -> None:
    """Cancel ``tasks`` (None: never started) and wait until each has ended. Each is cancelled
    again until it ends: on Python 3.11, asyncio.wait_for (the service's, or a driver's timeout)
    swallows a cancellation that lands as its wait ends, and the task would run on."""
    running = [task for task in tasks if task is not None]
    while not all(task.done() for task in running):
        for task in running:
            task.cancel()
        await asyncio.wait(running, timeout=RECANCEL_SECONDS)
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
