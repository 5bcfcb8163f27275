"""The benchmark's machinery, shared by every scenario:

- the load generator: find or install wrk, write its request lists, run it, parse its report,
  and how the CPU was shared meanwhile (servers, wrk, PostgreSQL, Redis, anything else);
- query plans: capture the SQL a call runs, EXPLAIN (ANALYZE, BUFFERS) it, keep the key lines;
- the servers under test: start one, wait until it is ready, always stop it;
- the run's own PostgreSQL database and Redis key prefix, made at the start and removed at the end.

What is measured lives in scenarios.py; this module knows nothing of commentsvc's HTTP API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

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
# Above this idle share of the CPU under wrk's closed-loop load, requests waited for something
# else than the CPU (seen now and then on the reference VM, cause unknown): worth a warning.
STALL_IDLE = 0.15
WARMUP = " (warm-up)"  # ends a warm-up run's name
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


# In a Request's path or body: replaced, each time it is sent, by a token no other request of
# any run carries (bench/wrk/requests.lua): for a cache that must miss, or text posted only once.
UNIQUE = "{unique}"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None

    @property
    def unique(self) -> bool:
        return UNIQUE in self.path or UNIQUE in (self.body or "")


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
    # The share of all cores each kind of process used meanwhile (CPU_KINDS), and the machine's
    # interrupts, steal and idle time (CPU_MACHINE); None: unknown.
    cpu: dict[str, float] | None = None
    busiest_others: str = ""  # the other processes that used most, with their shares

    @property
    def others_cpu(self) -> float | None:
        """What processes other than the servers, wrk, PostgreSQL and Redis used: above a few
        percent, the figures are disturbed."""
        return None if self.cpu is None else self.cpu["others"]

    @property
    def failed(self) -> bool:
        return self.non_2xx > 0 or self.socket_errors > 0 or self.requests == 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Observed(Measurement):
    """A Measurement taken by the bench's own client instead of wrk (one row of the main table),
    with the figures that do not fit its columns, and the problems found (a broken byte budget,
    a lost comment): any problem fails the run, as a failed request does."""

    details: dict[str, object] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return super().failed or bool(self.problems)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted samples (of 10, p99 is the slowest); 0 for none."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else 0.0


def observed(
    name: str,
    url: str,
    connections: int,
    seconds: float,
    times_ms: Sequence[float],
    rate: float,
    cpu: tuple[dict[str, float], str] | None,  # CpuUse.shares() over the measurement
    details: dict[str, object],
    problems: Sequence[str] = (),
    non_2xx: int = 0,
    socket_errors: int = 0,
) -> Observed:
    """An Observed row from the latency of each answer (the ``socket_errors`` got none): p50 is
    the median, p90 and p99 nearest-rank."""
    ordered = sorted(times_ms)
    return Observed(
        name=name,
        url=url,
        connections=connections,
        duration_s=round(seconds, 3),
        requests=len(ordered) + socket_errors,
        rps=rate,
        p50_ms=statistics.median(ordered) if ordered else 0.0,
        p90_ms=percentile(ordered, 90),
        p99_ms=percentile(ordered, 99),
        non_2xx=non_2xx,
        socket_errors=socket_errors,
        cpu=cpu[0] if cpu else None,
        busiest_others=cpu[1] if cpu else "",
        details=details,
        problems=tuple(problems),
    )


def write_requests(path: Path, requests: Sequence[Request]) -> Path:
    """Write the Lua data file bench/wrk/requests.lua rotates through."""
    if not requests:
        raise BenchError(f"{path.name}: no requests to send")
    entries = []
    for r in requests:
        if quote(UNIQUE) in r.path:
            raise BenchError(
                f"{path.name}: {UNIQUE} was URL-encoded in {r.path[:80]!r}: add it after encoding"
            )
        headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in r.headers.items())
        body = _lua_string(r.body) if r.body is not None else "nil"
        entries.append(
            f"  {{method = {_lua_string(r.method)}, path = {_lua_string(r.path)}, "
            f"headers = {{{headers}}}, body = {body}{', unique = true' if r.unique else ''}}},"
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
        else:  # requests.lua takes its data file, the thread count and a token for this run after "--"
            cmd += ["--script", str(REQUESTS_SCRIPT), load.url, "--"]
            cmd += [str(load.requests_file), str(WRK_THREADS), secrets.token_hex(4)]
        self.cpu = CpuUse()
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
        measurement = parse_wrk(name, self.load, out)
        if (shares := self.cpu.shares()) is not None:
            measurement = replace(measurement, cpu=shares[0], busiest_others=shares[1])
            idle = shares[0]["idle"] + shares[0]["iowait"]
            measured = not name.endswith(WARMUP)
            if measured and idle > STALL_IDLE and self.load.connections >= 2 * WRK_THREADS:
                say(
                    f"bench: warning: the CPU sat {idle:.0%} idle during {name} while wrk kept "
                    f"{self.load.connections} requests waiting: they waited for something else than the CPU "
                    "(a stall); figures may be low, run again"
                )
        return measurement

    def __enter__(self) -> Wrk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


CPU_KINDS = ("server", "wrk", "postgres", "redis", "others")
# Machine-wide, from /proc/stat: time the hypervisor gave to other machines, time idle while
# waiting for the disk, and plain idle: with every connection waiting for an answer, idle time
# means the requests wait for something other than the CPU.
CPU_MACHINE = ("steal", "iowait", "idle")


class CpuUse:
    """The CPU used from now on, by kind of process: this bench's own descendants (the servers
    under test, wrk), PostgreSQL's and Redis's processes (whoever started them), and all others,
    which take from the figures what they use (a test run, say)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.before = self._ticks()
        self.machine_before = self._machine()

    def shares(self) -> tuple[dict[str, float], str] | None:
        """Each kind's share of all cores since this object was made (CPU_KINDS, then
        CPU_MACHINE), and the busiest other processes ("python3 31%, ..."); None where there is
        no /proc."""
        after = self._ticks()
        machine_after = self._machine()
        if after is None or self.before is None or machine_after is None or self.machine_before is None:
            return None
        spent = [a - b for a, b in zip(machine_after, self.machine_before, strict=True)]
        total = max(1, sum(spent))
        machine = {"steal": spent[7] / total, "iowait": spent[4] / total, "idle": spent[3] / total}
        ticks = (time.monotonic() - self.started) * (os.cpu_count() or 1) * os.sysconf("SC_CLK_TCK")
        used = dict.fromkeys(CPU_KINDS, 0)
        others: dict[str, int] = {}
        # A process that ended meanwhile is missed; one started meanwhile counts whole.
        for pid, (kind, command, now) in after.items():
            before = self.before[pid][2] if pid in self.before else 0
            used[kind] += now - before
            if kind == "others":
                others[command] = others.get(command, 0) + now - before
        busiest = sorted(others.items(), key=lambda item: -item[1])[:3]
        return (
            {**{kind: max(0.0, n / ticks) for kind, n in used.items()}, **machine},
            ", ".join(f"{command} {n / ticks:.0%}" for command, n in busiest if n / ticks >= 0.01),
        )

    @staticmethod
    def _machine() -> list[int] | None:
        """/proc/stat's first line: user nice system idle iowait irq softirq steal, in ticks."""
        try:
            return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            return None

    @staticmethod
    def _ticks() -> dict[int, tuple[str, str, int]] | None:
        """(kind, command, utime + stime) of every process, by pid."""
        try:
            entries = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            return None
        found: dict[int, tuple[str, int, int]] = {}  # pid: (command, parent, ticks)
        for pid in entries:
            try:
                raw = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue  # it ended
            # "pid (comm) state ppid ... utime stime cutime cstime ...": comm may hold spaces and parentheses.
            command, fields = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
            found[pid] = (command, int(fields[1]), int(fields[11]) + int(fields[12]))

        def ours(pid: int) -> bool:
            while pid in found and pid != os.getpid():
                pid = found[pid][1]
            return pid == os.getpid()

        def kind(pid: int, command: str) -> str:
            if command == "postgres":
                return "postgres"
            if command == "redis-server":
                return "redis"
            if ours(pid):
                return "wrk" if command == "wrk" else "server"
            return "others"

        ticks = {pid: (kind(pid, command), command, used) for pid, (command, _, used) in found.items()}
        # wrk has ended when the second snapshot is taken: its time is now among what this
        # process's waited-for children used (cutime, cstime), counted under a pid of its own.
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks[-1] = ("wrk", "wrk", int(fields[13]) + int(fields[14]))
        return ticks


def run_wrk(name: str, load: Load) -> Measurement:
    with Wrk(load) as wrk:
        return wrk.result(name)


def measure(name: str, load: Load, warmup: float) -> Measurement:
    """A discarded warm-up run (pools fill, caches warm) and then the measured one."""
    if warmup > 0:
        run_wrk(f"{name}{WARMUP}", Load(load.url, load.connections, warmup, load.requests_file))
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


# --- query plans --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanNode:
    depth: int  # in the plan tree
    node_type: str  # "Index Scan", "Nested Loop", ...
    relation: str | None
    alias: str | None
    index: str | None
    label: str | None  # a CTE's or subplan's name
    rows: float  # actual rows per loop
    loops: int
    total_ms: float  # actual time per loop
    shared_hit: int
    shared_read: int

    def line(self) -> str:
        text = "  " * self.depth + self.node_type
        text += f" using {self.index}" if self.index else ""
        text += f" on {self.relation}" if self.relation else ""
        text += f" {self.alias}" if self.alias and self.alias != self.relation else ""
        text += f" [{self.label}]" if self.label else ""
        timing = f"rows={self.rows:g} loops={self.loops} {self.total_ms:.3f} ms"
        return f"{text:<72} {timing}  buffers hit={self.shared_hit} read={self.shared_read}"


@dataclass
class Plan:
    """`EXPLAIN (ANALYZE, BUFFERS)` of one query, as its key lines: every node with its relation,
    index and actual figures. ``problems`` (a scenario's verdict) fail the run."""

    name: str
    query: str
    args: list[str]  # repr() of each argument
    mode: str  # "custom": planned for these arguments; "generic": as a long-lived prepared statement may be
    planning_ms: float
    execution_ms: float
    nodes: list[PlanNode]
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def scans(self) -> list[tuple[str, str | None, str | None]]:
        """(node type, relation, index) of every node that reads a table or an index."""
        return [(n.node_type, n.relation, n.index) for n in self.nodes if n.relation or n.index]

    def lines(self) -> list[str]:
        return [n.line() for n in self.nodes]

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "lines": self.lines(), "failed": self.failed}


async def captured_queries(conn: asyncpg.Connection, call: Awaitable[object]) -> list[tuple[str, tuple]]:
    """(SQL, arguments) of every query ``call`` runs on ``conn``, in order."""
    logged: list[tuple[str, tuple]] = []
    with conn.query_logger(lambda record: logged.append((record.query, tuple(record.args or ())))):
        await call
        await asyncio.sleep(0)  # asyncpg hands the records to its loggers with call_soon
    return logged


async def explain(
    conn: asyncpg.Connection, name: str, query: str, args: Sequence[object], generic: bool
) -> Plan:
    """Run ``query`` with ``args`` under `EXPLAIN (ANALYZE, BUFFERS)`; ``generic``: the plan a
    prepared statement gets once PostgreSQL stops planning it for each call's arguments (asyncpg
    prepares every query, so after five calls the service may well run that one)."""
    statement = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
    async with conn.transaction():  # SET LOCAL, and PREPARE undone with it
        if generic:
            await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.execute(f"PREPARE bench_explained AS {query}")
            # EXECUTE takes no parameters of its own: the arguments go in as literals.
            literals = ", ".join(_sql_literal(a) for a in args)
            document = await conn.fetchval(f"{statement}EXECUTE bench_explained({literals})")
            await conn.execute("DEALLOCATE bench_explained")
        else:
            document = await conn.fetchval(statement + query, *args)
    (top,) = json.loads(document)
    nodes: list[PlanNode] = []

    def walk(node: dict, depth: int) -> None:
        nodes.append(
            PlanNode(
                depth=depth,
                node_type=node["Node Type"],
                relation=node.get("Relation Name"),
                alias=node.get("Alias"),
                index=node.get("Index Name"),
                label=node.get("CTE Name") or node.get("Subplan Name"),
                rows=node.get("Actual Rows", 0),
                loops=node.get("Actual Loops", 0),
                total_ms=node.get("Actual Total Time", 0.0),
                shared_hit=node.get("Shared Hit Blocks", 0),
                shared_read=node.get("Shared Read Blocks", 0),
            )
        )
        for child in node.get("Plans", []):
            walk(child, depth + 1)

    walk(top["Plan"], 0)
    return Plan(
        name=name,
        query=query,
        args=[repr(a) for a in args],
        mode="generic" if generic else "custom",
        planning_ms=top.get("Planning Time", 0.0),
        execution_ms=top.get("Execution Time", 0.0),
        nodes=nodes,
    )


def _sql_literal(value: object) -> str:
    """An SQL literal PostgreSQL casts to the prepared statement's parameter type."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(_sql_literal(v) for v in value) + "]" if value else "'{}'"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text.replace("'", "''") + "'"


# --- servers under test -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(name: str, cmd: list[str], env: Mapping[str, str], ready_url: str, log: Path) -> Iterator[int]:
    """Run a server until the block ends, however it ends; enter the block, with the server's
    pid, once ready_url answers 200."""
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
        yield process.pid
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


@contextlib.asynccontextmanager
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


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


def cli(database_url: str, *args: str) -> str:
    """Run `commentsvc ARGS...` against ``database_url``; its output."""
    env = dict(os.environ, COMMENTSVC_DATABASE_URL=database_url)
    done = subprocess.run(
        [PYTHON, "-m", "commentsvc.cli", *args], env=env, cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"`commentsvc {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def migrate(database_url: str) -> None:
    cli(database_url, "migrate")


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
