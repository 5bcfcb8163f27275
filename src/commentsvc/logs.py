"""Where log lines go: stdout, written by a background thread so that writing a
line per request never blocks the event loop (stdout may be a slow pipe)."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys


def background_stdout_handler() -> logging.Handler:
    """A handler for `logging.config.dictConfig` ("()": this function)."""
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = logging.StreamHandler(sys.stdout)
    writer.setFormatter(logging.Formatter("%(message)s"))
    listener = logging.handlers.QueueListener(lines, writer)
    listener.start()
    atexit.register(listener.stop)  # flushes what is queued
    return logging.handlers.QueueHandler(lines)
