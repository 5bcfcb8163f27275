"""Which of the service's modules import which, read from the source (never imported).

    python dev/imports.py               the working tree, room by room (api, domain, store, ...)
    python dev/imports.py --rev f11053f the same at a commit
    python dev/imports.py --modules     module by module instead

A room is a package of src/commentsvc (or a top-level module). The flow is meant to run one way,
api -> domain -> store/kv -> model; any import back up is listed at the end."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = "commentsvc"
SOURCE = Path("src") / PACKAGE
# From the top floor down: an import from a room to one on a higher floor runs back up.
FLOORS = ["cli", "worker", "app", "api", "domain", "store", "kv", "model"]


def sources(rev: str | None) -> dict[str, str]:
    """Module name -> source text."""
    if rev is None:
        paths = sorted(str(p) for p in SOURCE.rglob("*.py"))
        return {_module(p): Path(p).read_text() for p in paths}
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, str(SOURCE)], capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        _module(p): subprocess.run(
            ["git", "show", f"{rev}:{p}"], capture_output=True, text=True, check=True
        ).stdout
        for p in listed
        if p.endswith(".py")
    }


def _module(path: str) -> str:
    parts = Path(path).with_suffix("").parts[1:]  # without src/
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(text: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith(PACKAGE + ".")}
    return found


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="a commit (default: the working tree)")
    parser.add_argument("--modules", action="store_true", help="module by module")
    args = parser.parse_args()
    graph = {module: imports(text) for module, text in sources(args.rev).items()}
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imported in graph.items():
        for target in imported:
            if args.modules:
                edges[module].add(target)
            elif room(target) != room(module):
                edges[room(module)].add(room(target))
    for source in sorted(edges):
        print(f"{source} -> {', '.join(sorted(edges[source]))}")
    back_up = [
        f"{room(m)} -> {room(t)} ({m} imports {t})"
        for m, imported in graph.items()
        for t in imported
        if room(m) in FLOORS and room(t) in FLOORS and FLOORS.index(room(t)) < FLOORS.index(room(m))
    ]
    print(f"imports back up: {len(back_up)}")
    for line in sorted(back_up):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
