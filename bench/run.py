"""commentsvc's benchmark: `make bench` (BENCH_ARGS="--duration 5 ...") or
`.venv/bin/python bench/run.py [options]`.

This file owns the run: its options, the throwaway database and Redis prefix, starting each
server the chosen scenarios need (scenarios.py), the table, plans and targets on stdout, the
JSON file in bench/results/ and the exit code (1 if any request failed or a query plan has a
problem: a Seq Scan on comments). See bench/README.md.
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
import soak
from harness import BenchError, Measurement, Plan, say
from scenarios import RATIOS, REFERENCES, SCENARIOS, TARGETS, Options, Run, Scenario, Target

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RESULTS = harness.BENCH / "results"
FIELDS = ("rps", "p50_ms", "p90_ms", "p99_ms")
# Above this share of the CPU in use just before the start, something else is running (a test
# run, say), and every figure will be lower for it.
BUSY_CPU = 0.2
# Above this share of the CPU taken by other processes during a measurement, its figures are disturbed.
OTHERS_CPU = 0.05


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent reads and posts (default 32)")
    parser.add_argument("--login-connections", type=int, default=8, help="concurrent logins (default 8)")
    parser.add_argument(
        "--storm-connections", type=int, default=32, help="concurrent logins in the storm (default 32)"
    )
    parser.add_argument(
        "--users", type=int, default=200, help="accounts registered on each service (default 200)"
    )
    groups = list(dict.fromkeys(s.group for s in SCENARIOS))
    parser.add_argument(
        "--only", nargs="+", choices=groups + [s.name for s in SCENARIOS], metavar="NAME",
        help=f"run only these groups ({', '.join(groups)}) or scenarios ({', '.join(s.name for s in SCENARIOS)}),"
        "; without it, every scenario but"
        f" {', '.join(s.name for s in SCENARIOS if not s.by_default)}",
    )  # fmt: skip
    parser.add_argument(
        "--soak-seconds", type=float, default=600,
        help="how long the soak's load runs (default 600); the soak runs only when --only names it",
    )  # fmt: skip
    parser.add_argument("--logs", type=Path, help="keep the servers' output in this folder")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0:
        parser.error("--duration must be at least 1 and --warmup at least 0")
    if min(args.connections, args.login_connections, args.storm_connections) < harness.WRK_THREADS:
        parser.error(f"every --*connections must be at least {harness.WRK_THREADS}, wrk's thread count")
    if args.users < 1:
        parser.error("--users must be at least 1")
    if args.soak_seconds < soak.MIN_SECONDS:
        parser.error(f"--soak-seconds must be at least {soak.MIN_SECONDS}")
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
        args.soak_seconds,
    )
    chosen = choose(args.only)
    started = datetime.now(UTC)
    busy_at_start = cpu_busy()
    if busy_at_start is not None and busy_at_start > BUSY_CPU:
        say(f"bench: warning: {busy_at_start:.0%} of the CPU is in use by others; expect low figures")
    try:
        harness.ensure_wrk()
        host = machine()  # at the start: the commit measured is the one checked out now
        say("bench: calibrating (argon2id verify time)")
        calibrations = {k: v for calibrate in scenarios.CALIBRATIONS for k, v in calibrate().items()}
        results = run_scenarios(chosen, options, args.logs)
    except BenchError as exc:
        say(f"bench: {exc}")
        return 1
    except KeyboardInterrupt:
        say("bench: interrupted; servers stopped and the throwaway database dropped")
        return 130
    measurements = [r for r in results if isinstance(r, Measurement)]
    plans = [r for r in results if isinstance(r, Plan)]
    figures, ratios = summarise(calibrations, measurements)
    targets = judge(figures, ratios, {m.name: m.connections for m in measurements})
    print_table(measurements, calibrations, ratios)
    print_plans(plans)
    print_targets(targets, figures)
    disturbed = [m for m in measurements if (m.others_cpu or 0) > OTHERS_CPU]
    if disturbed:
        say(
            f"bench: warning: other processes took over {OTHERS_CPU:.0%} of the CPU during "
            f"{', '.join(f'{m.name} ({m.busiest_others})' for m in disturbed)}: "
            "those figures are low; run again when the machine is quiet"
        )
    busy_at_end = cpu_busy()
    if busy_at_end is not None and busy_at_end > BUSY_CPU:
        say(f"bench: warning: {busy_at_end:.0%} of the CPU was in use by others right after the run")
    path = write_results(
        started, host, (busy_at_start, busy_at_end), options, measurements, figures, ratios, plans, targets
    )
    say(f"bench: results written to {path.relative_to(harness.REPO)}")
    code = 0
    # A measurement with problems of its own (a broken byte budget, a failed check) says them itself.
    failed = [m.name for m in measurements if m.failed and not getattr(m, "problems", ())]
    if failed:
        say(f"bench: FAILED: {', '.join(failed)} had failed requests (keep the servers' logs: --logs DIR)")
        code = 1
    problems = [p for plan in plans for p in plan.problems] + [
        p for m in measurements for p in getattr(m, "problems", ())
    ]
    for problem in problems:
        say(f"bench: FAILED: {problem}")
        code = 1
    return code


def choose(only: list[str] | None) -> list[Scenario]:
    """The scenarios ``--only`` names (or whose group it names), in order; without ``--only``,
    those run by default (not the soak)."""
    if not only:
        return [s for s in SCENARIOS if s.by_default]
    return [s for s in SCENARIOS if s.name in only or s.group in only]


def run_scenarios(chosen: list[Scenario], options: Options, logs: Path | None) -> list[Measurement | Plan]:
    run_id = secrets.token_hex(4)
    server_url = os.environ.get("COMMENTSVC_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("COMMENTSVC_REDIS_URL") or DEFAULT_REDIS_URL
    prefix = f"commentsvc-bench:{run_id}:"
    results: list[Measurement | Plan] = []
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
                    results += scenario.run(ctx)
    return results


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


def judge(
    figures: dict[str, float], ratios: dict[str, float], connections: dict[str, int]
) -> list[dict[str, object]]:
    """Each of TARGETS whose figure was taken: its value and whether it passes. ``connections``:
    each measurement's, by name."""
    known = {**figures, **ratios}
    return [
        {
            "figure": t.figure,
            "value": known[t.figure],
            "goal": f"{'≤' if t.at_most else '≥'} {t.threshold:g}",
            "pass": t.passes(known[t.figure]),
            "counted": t.counted and _at_its_load(t, connections),
        }
        for t in TARGETS
        if t.figure in known
    ]


def _at_its_load(target: Target, connections: dict[str, int]) -> bool:
    measurement = target.figure.rsplit(".", 1)[0]
    return target.connections is None or connections.get(measurement) == target.connections


LABEL = 58  # the width of the labels in the lists below the table


def print_table(
    measurements: list[Measurement], calibrations: dict[str, float], ratios: dict[str, float]
) -> None:
    header = f"{'measurement':<18}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
    header += f"{'non-2xx':>9}{'sock err':>9}"
    print(header)
    print("-" * len(header))
    for m in measurements:
        print(
            f"{m.name:<18}{m.connections:>6}{m.rps:>10.1f}{m.p50_ms:>9.2f}{m.p90_ms:>9.2f}{m.p99_ms:>9.2f}"
            f"{m.non_2xx:>9}{m.socket_errors:>9}"
        )
    if any(m.cpu for m in measurements):
        print(f"\nCPU use meanwhile, share of all {os.cpu_count()} cores")
        columns = harness.CPU_KINDS + harness.CPU_MACHINE
        print(f"{'':<18}" + "".join(f"{kind:>9}" for kind in columns))
        for m in measurements:
            if m.cpu:
                print(f"{m.name:<18}" + "".join(f"{m.cpu.get(kind, 0):>9.0%}" for kind in columns))
    if calibrations:
        print()
        for name, value in calibrations.items():
            print(f"{name:<{LABEL}}{value:>10.2f}")
    if ratios:
        print()
        for label, value in ratios.items():
            print(f"{label:<{LABEL}}{value:>10.2f}")


def print_plans(plans: list[Plan]) -> None:
    """One line per plan; the key lines of each plan unlike those printed before it (a plan
    that changes shape shows up in full), and of any plan with a problem."""
    if not plans:
        return
    print(
        "\nquery plans (EXPLAIN ANALYZE, BUFFERS; custom: planned for the arguments, generic: as a reused prepared statement)"
    )
    shown: dict[tuple, str] = {}
    for plan in plans:
        top = plan.nodes[0]  # its buffers count its children's
        indexes = sorted(
            {f"{n.node_type} {n.index or ''}".strip() for n in plan.nodes if n.relation == "comments"}
        )
        title = f"{plan.name} ({plan.mode})"
        print(
            f"{title:<{LABEL}} execution {plan.execution_ms:6.3f} ms, planning {plan.planning_ms:6.3f} ms, "
            f"buffers hit {top.shared_hit} read {top.shared_read}"
        )
        print(f"    comments read by: {', '.join(indexes) or 'nothing'}")
        shape = tuple((n.depth, n.node_type, n.relation, n.index) for n in plan.nodes)
        if shape in shown and not plan.failed:
            print(f"    same plan as {shown[shape]}")
            continue
        shown.setdefault(shape, title)
        for line in plan.lines():
            print(f"    {line}")
        for problem in plan.problems:
            print(f"    !!! {problem} !!!")


def print_targets(targets: list[dict[str, object]], figures: dict[str, float]) -> None:
    if targets:
        print("\ntargets (reads counted for anonymous readers, the common case, served from the cache; info:")
        print("the same figure signed in, never cached, or a figure measured at another load than its")
        print("goal's; a MISS does not fail the run)")
        for t in targets:
            verdict = ("PASS" if t["pass"] else "MISS") + ("" if t["counted"] else " (info)")
            print(f"{t['figure']:<{LABEL}}{t['value']:>10.2f}  {t['goal']:<7} {verdict}")
    lines = []
    for ref in REFERENCES:
        ours = [
            f"{name.removesuffix('.rps')} {figures[name]:,.0f}" for name in ref.figures if name in figures
        ]
        if ours:
            lines.append(
                f"{ref.label + ', quoted, not measured':<{LABEL}}{ref.quoted:>10,.0f}  ours: {', '.join(ours)}"
            )
    if lines:
        print("\nfor scale (figures quoted by the issue for this machine)")
        print("\n".join(lines))


def write_results(
    started: datetime,
    host: dict[str, object],
    busy: tuple[float | None, float | None],
    options: Options,
    measurements: list[Measurement],
    figures: dict[str, float],
    ratios: dict[str, float],
    plans: list[Plan],
    targets: list[dict[str, object]],
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started": started.isoformat(timespec="seconds"),
        "machine": host,
        "cpu_busy_at_start": busy[0],
        "cpu_busy_at_end": busy[1],
        "options": vars(options),
        "measurements": [m.as_dict() for m in measurements],
        "figures": figures,
        "ratios": ratios,
        "targets": targets,
        "references": [{"label": r.label, "quoted": r.quoted, "ours": r.figures} for r in REFERENCES],
        "plans": [p.as_dict() for p in plans],
        "ok": not any(m.failed for m in measurements) and not any(p.failed for p in plans),
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
