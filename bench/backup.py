"""Export and restore of a large site: the comments scenarios' seeded site (105,000 comments,
about as many votes, 2,000 authors, 2,001 articles) exported plain and gzipped, each export
restored into a new empty site, and the restored site's counts checked. For each command: wall
time, records a second and the process's peak RSS (what it measured of itself as it ended).

    .venv/bin/python dev/services.py -- .venv/bin/python bench/backup.py

Needs COMMENTSVC_DATABASE_URL (else the machine's server on its default port); works on a
throwaway database it drops at the end."""

from __future__ import annotations

import asyncio
import gzip
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
import seed

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# A command run through main(), then its own peak RSS (kB) on stderr.
MEASURED = (
    "import resource, sys\n"
    "from commentsvc.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def measured(database_url: str, *args: str) -> tuple[float, int, str]:
    """Seconds, peak RSS (MB) and stdout of `commentsvc ARGS...`."""
    env = dict(os.environ, COMMENTSVC_DATABASE_URL=database_url)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *args], env=env, cwd=harness.REPO, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise harness.BenchError(f"`commentsvc {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return seconds, int(done.stderr.split("maxrss ")[1].split()[0]) // 1024, done.stdout


def main() -> int:
    server_url = os.environ.get("COMMENTSVC_DATABASE_URL") or DEFAULT_DATABASE_URL
    name = f"commentsvc_bench_backup_{secrets.token_hex(4)}"
    with (
        harness.throwaway_database(server_url, name) as database_url,
        tempfile.TemporaryDirectory() as folder,
    ):
        harness.migrate(database_url)
        seeded = asyncio.run(seed.seed(database_url))
        print(f"{'command':<34} {'seconds':>8} {'records/s':>10} {'peak RSS':>9} {'file':>9}")
        for suffix in (".jsonl", ".jsonl.gz"):
            output = Path(folder) / f"bench{suffix}"
            seconds, rss, _ = measured(database_url, "export", "--site", seed.SITE, "--output", str(output))
            with gzip.open(output) if suffix.endswith(".gz") else output.open("rb") as lines:
                records = sum(1 for _ in lines)
            size = output.stat().st_size // 2**20
            print(
                f"{'export --output ' + output.name:<34} {seconds:8.1f} {records / seconds:10,.0f} {rss:6} MB {size:6} MB"
            )
            target = f"restored{suffix.replace('.', '-')}"
            harness.cli(database_url, "site", "create", target, "--origin", seed.ORIGIN)
            seconds, rss, _ = measured(database_url, "restore", str(output), "--site", target)
            print(f"{'restore ' + output.name:<34} {seconds:8.1f} {records / seconds:10,.0f} {rss:6} MB")
        verified = harness.cli(database_url, "counts", "verify")
        print(f"{seeded.comments:,} comments; {verified.strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
