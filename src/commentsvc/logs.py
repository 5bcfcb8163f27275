"""Where log lines go: stdout, written by a background thread so that writing a
line per request never blocks the event loop (stdout may be a slow pipe). The
thread writes whatever lines are waiting at once: under load, one write for many.
And what a log record collects, for a process whose lines are their message alone."""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import threading

_STOP = None


class _LineQueue(logging.Handler):
    """Formats in the caller's thread (cheap: the message is the line) and queues the text."""

    def __init__(self, lines: queue.SimpleQueue[str | None]) -> None:
        super().__init__()
        self._lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.put(self.format(record))
        except Exception:  # logging must never break the request it describes
            self.handleError(record)


def _write(lines: queue.SimpleQueue[str | None]) -> None:
    while True:
        waiting = [lines.get()]
        while True:
            try:
                waiting.append(lines.get_nowait())
            except queue.Empty:
                break
        sys.stdout.write("".join(f"{line}\n" for line in waiting if line is not _STOP))
        sys.stdout.flush()
        if _STOP in waiting:
            return


def lean_records() -> None:
    """Records stop collecting where they were logged from (a walk up the stack) and the
    thread's and process's names, which a line that is its message alone never shows: the
    dearer part of logging a request. The logging module's documented switches, for the
    whole process, so only a process that owns its logging sets them (`commentsvc serve`)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def background_stdout_handler() -> logging.Handler:
    """A handler for `logging.config.dictConfig` ("()": this function)."""
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    writer = threading.Thread(target=_write, args=(lines,), name="commentsvc-log-writer", daemon=True)
    writer.start()

    def stop() -> None:  # writes what is queued
        lines.put(_STOP)
        writer.join()

    atexit.register(stop)
    handler = _LineQueue(lines)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler
