"""Benchmark: what drawing one picture costs, alone, in this process.

    .venv/bin/python -m benchmarks.charts [--pictures 100] [--tree DIR]

Draws a member's progress picture (the year of history of `tests/test_charts.py`, in
German) `--pictures` times, one after the other, and prints the CPU per picture (best and
median of runs of ten), the PNG's size, and the process's RSS before the first picture,
after it, and after the last; then how late the event loop's 1 ms sleeps wake while 20
pictures are drawn in a thread (`asyncio.to_thread`).
`--tree DIR` draws with another source tree's `bot.charts` (e.g. `git archive` of an
older commit; its own dependencies must be installed), for a side-by-side comparison.
Each measurement runs in a fresh child process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

_PROBE = """
import asyncio, json, sys, time
from pathlib import Path

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)

from bot.charts import progress_chart_png
from bot.domain.review import progress_picture
from bot.screens.review import progress_chart
from content.cards import load_cards
from tests.test_charts import NOW, a_year

chart = progress_chart(progress_picture(load_cards(), a_year(), NOW, "Europe/Berlin"), "de")
count = int(sys.argv[1])
before = rss()
png = progress_chart_png(chart)
first = rss()
tens = []
for _ in range(max(count // 10, 1)):
    began = time.process_time()
    for _ in range(10):
        png = progress_chart_png(chart)
    tens.append((time.process_time() - began) / 10 * 1000)
after = rss()


# How late a 1 ms sleep on the event loop wakes while a thread draws 20 pictures.
async def lag_while_drawing():
    lags, drawing = [], True

    async def probe():
        while drawing:
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append((time.perf_counter() - began - 0.001) * 1000)

    probing = asyncio.create_task(probe())
    for _ in range(20):
        await asyncio.to_thread(progress_chart_png, chart)
    drawing = False
    await probing
    lags.sort()
    return [lags[len(lags) // 2], lags[int(len(lags) * 0.99)], lags[-1]]


lag = asyncio.run(lag_while_drawing())
print(json.dumps({"ms": tens, "bytes": len(png), "rss": [before, first, after], "lag": lag}))
"""


def _draw(tree: Path | None, pictures: int) -> tuple[list[float], int, list[float], list[float]]:
    """CPU ms per picture (per run of ten), the PNG's bytes, RSS before, after 1st, last,
    and the event loop's lag while a thread draws (median, 99th percentile, most)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(pictures)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return [float(ms) for ms in found["ms"]], int(found["bytes"]), found["rss"], found["lag"]


def main(argv: list[str] | None = None) -> int:
    """Measure this tree's pictures (and another's) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=100)
    parser.add_argument("--tree", type=Path, help="also draw with this source tree, alike")
    args = parser.parse_args(argv)
    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.tree is not None:
        trees.append((str(args.tree), args.tree.resolve()))
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(
        "tree | CPU ms per picture (best, median) | PNG bytes | RSS MiB before, 1st, last"
        " | loop lag ms while a thread draws (p50, p99, most)"
    )
    for name, tree in trees:
        ms, size, rss, lag = _draw(tree, args.pictures)
        lags = ", ".join(f"{value:.1f}" for value in lag)
        print(f"{name} | {min(ms):.1f}, {statistics.median(ms):.1f} | {size} | {rss} | {lags}")
    print(f"run of {started}; reproduce: .venv/bin/python -m benchmarks.charts", *sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
