"""commentsvc's benchmark: `make bench` (BENCH_ARGS="--duration 5 ...") or
`.venv/bin/python bench/run.py [options]`.

This file owns the run: its options, the throwaway database and Redis prefix, starting each
server the chosen scenarios need (scenarios.py), the table on stdout, the JSON file in
bench/results/ and the exit code (1 if any request failed). See bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import harness
import scenarios
from harness import BenchError, Measurement, say
from scenarios import RATIOS, SCENARIOS, Options, Run

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RESULTS = harness.BENCH / "results"
FIELDS = ("rps", "p50_ms", "p90_ms", "p99_ms")
# Above this share of the CPU in use just before the start, something else is running (a test
# run, say), and every figure will be lower for it.
BUSY_CPU = 0.2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent reads (default 32)")
    parser.add_argument("--login-connections", type=int, default=8, help="concurrent logins (default 8)")
    parser.add_argument(
        "--storm-connections", type=int, default=32, help="concurrent logins in the storm (default 32)"
    )
    parser.add_argument("--users", type=int, default=200, help="accounts to register (default 200)")
    parser.add_argument(
        "--only", nargs="+", choices=[s.name for s in SCENARIOS], metavar="SCENARIO",
        help=f"run only these scenarios: {', '.join(s.name for s in SCENARIOS)}",
    )  # fmt: skip
    parser.add_argument("--logs", type=Path, help="keep the servers' output in this folder")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0:
        parser.error("--duration must be at least 1 and --warmup at least 0")
    if min(args.connections, args.login_connections, args.storm_connections) < harness.WRK_THREADS:
        parser.error(f"every --*connections must be at least {harness.WRK_THREADS}, wrk's thread count")
    if args.users < 1:
        parser.error("--users must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A SIGTERM (from make, or a CI timeout) unwinds like Ctrl-C: servers stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
    options = Options(
        args.duration,
        args.warmup,
        args.connections,
        args.login_connections,
        args.storm_connections,
        args.users,
    )
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
    started = datetime.now(UTC)
    busy_at_start = cpu_busy()
    if busy_at_start is not None and busy_at_start > BUSY_CPU:
        say(f"bench: warning: {busy_at_start:.0%} of the CPU is in use by others; expect low figures")
    try:
        harness.ensure_wrk()
        host = machine()  # at the start: the commit measured is the one checked out now
        say("bench: calibrating (argon2id verify time)")
        calibrations = {k: v for calibrate in scenarios.CALIBRATIONS for k, v in calibrate().items()}
        measurements = run_scenarios(chosen, options, args.logs)
    except BenchError as exc:
        say(f"bench: {exc}")
        return 1
    except KeyboardInterrupt:
        say("bench: interrupted; servers stopped and the throwaway database dropped")
        return 130
    figures, ratios = summarise(calibrations, measurements)
    print_table(measurements, calibrations, ratios)
    path = write_results(started, host, busy_at_start, options, measurements, figures, ratios)
    say(f"bench: results written to {path.relative_to(harness.REPO)}")
    failed = [m.name for m in measurements if m.failed]
    if failed:
        say(f"bench: FAILED: {', '.join(failed)} had failed requests (keep the servers' logs: --logs DIR)")
        return 1
    return 0


def run_scenarios(chosen: list[scenarios.Scenario], options: Options, logs: Path | None) -> list[Measurement]:
    run_id = secrets.token_hex(4)
    server_url = os.environ.get("COMMENTSVC_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("COMMENTSVC_REDIS_URL") or DEFAULT_REDIS_URL
    prefix = f"commentsvc-bench:{run_id}:"
    measurements: list[Measurement] = []
    with (
        tempfile.TemporaryDirectory(prefix="commentsvc-bench-") as workdir,
        harness.throwaway_database(server_url, f"commentsvc_bench_{run_id}") as database_url,
        harness.redis_keys(redis_url, prefix),
    ):
        harness.migrate(database_url)
        if logs:
            logs.mkdir(parents=True, exist_ok=True)
        run = Run(options, database_url, redis_url, prefix, Path(workdir), logs or Path(workdir))
        for server, group in itertools.groupby(chosen, key=lambda s: s.server):
            say(f"bench: starting {server.__name__}")
            with server(run) as ctx:
                for scenario in group:
                    say(f"bench: {scenario.name}: {scenario.about}")
                    measurements += scenario.run(ctx)
    return measurements


def summarise(
    calibrations: dict[str, float], measurements: list[Measurement]
) -> tuple[dict[str, float], dict[str, float]]:
    """Every figure by name ("me.p99_ms", "argon2.verify_ms"), and the RATIOS whose figures were taken."""
    figures = dict(calibrations)
    for m in measurements:
        figures.update({f"{m.name}.{f}": getattr(m, f) for f in FIELDS})
    ratios = {
        r.label: figures[r.numerator] / figures[r.denominator]
        for r in RATIOS
        if r.numerator in figures and figures.get(r.denominator, 0) > 0
    }
    return figures, ratios


def print_table(
    measurements: list[Measurement], calibrations: dict[str, float], ratios: dict[str, float]
) -> None:
    header = f"{'measurement':<14}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
    header += f"{'non-2xx':>9}{'sock err':>9}"
    print(header)
    print("-" * len(header))
    for m in measurements:
        print(
            f"{m.name:<14}{m.connections:>6}{m.rps:>10.1f}{m.p50_ms:>9.2f}{m.p90_ms:>9.2f}{m.p99_ms:>9.2f}"
            f"{m.non_2xx:>9}{m.socket_errors:>9}"
        )
    if calibrations:
        print()
        for name, value in calibrations.items():
            print(f"{name:<48}{value:>10.2f}")
    if ratios:
        print()
        for label, value in ratios.items():
            print(f"{label:<48}{value:>10.2f}")


def write_results(
    started: datetime,
    host: dict[str, object],
    busy_at_start: float | None,
    options: Options,
    measurements: list[Measurement],
    figures: dict[str, float],
    ratios: dict[str, float],
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started": started.isoformat(timespec="seconds"),
        "machine": host,
        "cpu_busy_at_start": busy_at_start,
        "options": vars(options),
        "measurements": [m.as_dict() for m in measurements],
        "figures": figures,
        "ratios": ratios,
        "ok": not any(m.failed for m in measurements),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def machine() -> dict[str, object]:
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", *args], cwd=harness.REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": harness.wrk_version(),
        "git_commit": git("rev-parse", "HEAD"),  # None before the first commit
        "git_dirty": bool(git("status", "--porcelain")),
    }


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of all cores busy over the next ``seconds``, from /proc/stat (None elsewhere)."""

    def idle_and_total() -> tuple[int, int]:
        # The first line: "cpu  user nice system idle iowait irq softirq steal ...", in ticks.
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return ticks[3] + ticks[4], sum(ticks)

    try:
        idle_before, total_before = idle_and_total()
        time.sleep(seconds)
        idle_after, total_after = idle_and_total()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle_after - idle_before) / max(1, total_after - total_before)


def _cpu_model() -> str | None:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)


if __name__ == "__main__":
    sys.exit(main())
