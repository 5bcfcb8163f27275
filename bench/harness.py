"""The benchmark's machinery, shared by every scenario:

- the load generator: find or install wrk, write its request lists, run it, parse its report;
- the servers under test: start one, wait until it is ready, always stop it;
- the run's own PostgreSQL database and Redis key prefix, made at the start and removed at the end.

What is measured lives in scenarios.py; this module knows nothing of commentsvc's HTTP API.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import redis

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = sys.executable
REQUESTS_SCRIPT = BENCH / "wrk" / "requests.lua"

WRK_THREADS = 2
# Long enough that a slow request is measured rather than dropped as a "timeout" error.
WRK_TIMEOUT = "10s"
STARTUP_SECONDS = 30
STOP_SECONDS = 30


class BenchError(Exception):
    """Stops the run with this message (cleaning up first) and exit code 1."""


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- wrk -------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """wrk's path; as root on Debian, install it when it is missing."""
    if found := shutil.which("wrk"):
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError("wrk is not installed: install the Debian package wrk (sudo apt-get install wrk).")
    say("bench: wrk is not installed; installing the Debian package wrk")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(cmd, env=env).returncode != 0:
            raise BenchError(f"`{' '.join(cmd)}` failed: install the Debian package wrk yourself.")
    if found := shutil.which("wrk"):
        return found
    raise BenchError("wrk is still not on PATH after installing the Debian package wrk.")


def wrk_version() -> str:
    # `wrk -v` prints "wrk 4.1.0 [epoll] Copyright ..." and exits non-zero.
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout or out.stderr).split(" Copyright")[0].strip()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class Load:
    """One wrk run: where, how many connections, how long, and (optionally) what to send."""

    url: str  # the base URL plus the path wrk reports on
    connections: int
    duration: float
    requests_file: Path | None = None  # written by write_requests(); None: plain GETs of url


@dataclass(frozen=True)
class Measurement:
    name: str
    url: str
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int  # wrk's "Non-2xx or 3xx responses": every status >= 400
    socket_errors: int  # connect, read, write and timeout errors together

    @property
    def failed(self) -> bool:
        return self.non_2xx > 0 or self.socket_errors > 0 or self.requests == 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def write_requests(path: Path, requests: Sequence[Request]) -> Path:
    """Write the Lua data file bench/wrk/requests.lua rotates through."""
    if not requests:
        raise BenchError(f"{path.name}: no requests to send")
    entries = []
    for r in requests:
        headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in r.headers.items())
        body = _lua_string(r.body) if r.body is not None else "nil"
        entries.append(
            f"  {{method = {_lua_string(r.method)}, path = {_lua_string(r.path)}, "
            f"headers = {{{headers}}}, body = {body}}},"
        )
    path.write_text("return {\n" + "\n".join(entries) + "\n}\n", encoding="ascii")
    return path


def _lua_string(text: str) -> str:
    # JSON bodies from json.dumps are printable ASCII, so quotes and backslashes are all to escape.
    if not (text.isascii() and text.isprintable()):
        raise BenchError(f"cannot pass {text[:40]!r} to wrk: only printable ASCII is supported")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Wrk:
    """A wrk process running in the background; ``result()`` waits for it and parses its report.
    As a context manager it kills wrk if the block fails, so no load generator outlives the run."""

    def __init__(self, load: Load) -> None:
        self.load = load
        cmd = ["wrk", "--latency", "--threads", str(WRK_THREADS), "--connections", str(load.connections)]
        cmd += ["--duration", f"{load.duration:g}s", "--timeout", WRK_TIMEOUT]
        if load.requests_file is None:
            cmd.append(load.url)
        else:  # requests.lua takes its data file and the thread count after "--"
            cmd += ["--script", str(REQUESTS_SCRIPT), load.url, "--"]
            cmd += [str(load.requests_file), str(WRK_THREADS)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self, name: str) -> Measurement:
        try:
            out, err = self.process.communicate(timeout=self.load.duration + 60)
        except subprocess.TimeoutExpired:
            raise BenchError(f"wrk did not finish {name} in time") from None
        if self.process.returncode != 0:
            raise BenchError(
                f"wrk failed for {name} (exit {self.process.returncode}): {(err or out).strip()}"
            )
        return parse_wrk(name, self.load, out)

    def __enter__(self) -> Wrk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def run_wrk(name: str, load: Load) -> Measurement:
    with Wrk(load) as wrk:
        return wrk.result(name)


def measure(name: str, load: Load, warmup: float) -> Measurement:
    """A discarded warm-up run (pools fill, caches warm) and then the measured one."""
    if warmup > 0:
        run_wrk(f"{name} (warm-up)", Load(load.url, load.connections, warmup, load.requests_file))
    return run_wrk(name, load)


_DURATION_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(name: str, load: Load, report: str) -> Measurement:
    """Pick the figures out of `wrk --latency`'s report."""

    def percentile(p: int) -> float:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m|h)\s*$", report, re.MULTILINE)
        if not found:
            raise BenchError(f"wrk's report for {name} has no {p}% latency:\n{report}")
        return float(found.group(1)) * _DURATION_UNITS_MS[found.group(2)]

    totals = re.search(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m|h)", report, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", report, re.MULTILINE)
    if not totals or not rps:
        raise BenchError(f"cannot read wrk's report for {name}:\n{report}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    return Measurement(
        name=name,
        url=load.url,
        connections=load.connections,
        duration_s=load.duration,
        requests=int(totals.group(1)),
        rps=float(rps.group(1)),
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


# --- servers under test -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(name: str, cmd: list[str], env: Mapping[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """Run a server until the block ends, however it ends; enter the block once ready_url answers 200."""
    with open(log, "ab") as out:
        # Its own session: a Ctrl-C reaches only us, and we stop it in order (SIGTERM, then wait).
        process = subprocess.Popen(
            cmd,
            env=dict(env),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(name, process, ready_url, log)
        yield
        if process.poll() is not None:
            raise BenchError(f"{name} exited with {process.returncode} during the run:\n{_tail(log)}")
    finally:
        _stop(process)


def _wait_ready(name: str, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise BenchError(f"{name} exited with {process.returncode} while starting:\n{_tail(log)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise BenchError(f"{name} was not ready ({url}) after {STARTUP_SECONDS} s:\n{_tail(log)}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # The server's session is its process group: take any worker it left behind with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(log: Path, lines: int = 20) -> str:
    return "".join(log.read_text(errors="replace").splitlines(True)[-lines:])


# --- the run's PostgreSQL database and Redis keys ------------------------------------------


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


async def _admin(server_url: str, statement: str) -> None:
    try:
        conn = await asyncpg.connect(server_url, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(
            f"cannot reach PostgreSQL at {server_url} ({exc}); check COMMENTSVC_DATABASE_URL."
        ) from None
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def throwaway_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on server_url's server, yield its URL, drop it afterwards."""
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(server_url, name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def migrate(database_url: str) -> None:
    env = dict(os.environ, COMMENTSVC_DATABASE_URL=database_url)
    done = subprocess.run(
        [PYTHON, "-m", "commentsvc.cli", "migrate"], env=env, cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"`commentsvc migrate` failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def redis_keys(redis_url: str, prefix: str) -> Iterator[None]:
    """Delete every key under ``prefix`` when the block ends."""
    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise BenchError(f"cannot reach Redis at {redis_url} ({exc}); check COMMENTSVC_REDIS_URL.") from None
    try:
        yield
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()
