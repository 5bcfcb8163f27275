"""Run the real `commentsvc serve` command in a subprocess, for tests that need
several worker processes or the command line itself."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from commentsvc.config import Settings

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    env.update(
        COMMENTSVC_DATABASE_URL=settings.database_url,
        COMMENTSVC_REDIS_URL=settings.redis_url,
        COMMENTSVC_REDIS_PREFIX=settings.redis_prefix,
        # The tests' own secret, so that a served process keeps no secret file in the checkout.
        COMMENTSVC_JWT_SECRET=settings.jwt_secret,
        # The tests' mail: to their SMTP server, else to files of the run's own (never the checkout).
        COMMENTSVC_MAIL_DIR=settings.mail_dir,
        COMMENTSVC_MAIL_FROM=settings.mail_from,
        # Uploaded imports, where any process of the run may take them up.
        COMMENTSVC_IMPORT_DIR=settings.import_dir,
        # Every process registers the subscribers' delays as it starts, the last one's standing:
        # a served process with the default window would hold the tests' reply mail for 10 minutes.
        COMMENTSVC_REPLY_MAIL_BATCH_SECONDS=str(settings.reply_mail_batch_seconds),
        COMMENTSVC_MODERATOR_ALERT_SECONDS=str(settings.moderator_alert_seconds),
        COMMENTSVC_DB_POOL_SIZE=str(settings.db_pool_size),
    )
    if settings.smtp_url is not None:
        env["COMMENTSVC_SMTP_URL"] = settings.smtp_url
    # The same limits as the settings (the tests' are generous): a served process
    # shares the Redis keys of the in-process app, so their limits must agree.
    for group, limit in settings.rate_limits.items():
        env[f"COMMENTSVC_RATE_LIMIT_{group.upper()}"] = f"{limit.count}/{limit.period_seconds}s"
    env.update(extra)
    return env


def commentsvc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one `commentsvc` command line to completion."""
    return subprocess.run(
        [sys.executable, "-m", "commentsvc.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def serve(settings: Settings, workers: int = 2, log: Path | None = None, **extra: str) -> Iterator[str]:
    """Start `commentsvc serve --workers N`; yield its base URL once /readyz answers 200."""
    with serving(settings, ["--workers", str(workers)], log, **extra) as served:
        yield served.url


@contextlib.contextmanager
def serving(
    settings: Settings,
    args: Sequence[str],
    log: Path | None = None,
    cwd: Path | None = None,
    up: str = "/readyz",
    **extra: str,
) -> Iterator[Served]:
    """Start `commentsvc serve ARGS...` (in ``cwd``, if given); yield it once ``up`` answers 200.
    Stopped (SIGTERM) at the end if still running, for tests that stop it themselves."""
    port = free_port()
    env = service_environment(settings, COMMENTSVC_PORT=str(port), **extra)
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "commentsvc.cli", "serve", *args],
        env=env,
        cwd=cwd,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"commentsvc serve exited with {process.returncode}")
            try:
                if httpx.get(f"{base_url}{up}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("commentsvc serve did not become ready")
            time.sleep(0.1)
        yield Served(base_url, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]
