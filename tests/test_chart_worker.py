"""Pictures come from a worker process that is recycled, restarted and let go when idle."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.chart_worker import ChartWorker, ChartWorkerError
from bot.charts import ProgressChart, WeeklyBarsChart, progress_chart_png
from bot.domain.review import History, progress_picture
from bot.screens.review import progress_chart
from content.cards import load_cards

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
PNG = b"\x89PNG"


def a_picture() -> ProgressChart:
    return progress_chart(progress_picture(load_cards(), History(), NOW, "Europe/Berlin"), "en")


def operators_picture(*series: list[int]) -> WeeklyBarsChart:
    weeks = [f"w{n}" for n in range(len(series[0]))]
    return WeeklyBarsChart("Network", weeks, [(f"series {i}", s) for i, s in enumerate(series)])


@pytest.fixture
async def worker() -> AsyncIterator[ChartWorker]:
    drawer = ChartWorker(pictures_per_worker=3, idle_seconds=60)
    yield drawer
    await drawer.close()


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that has exited but not been waited for is a zombie: not running.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


async def test_the_worker_draws_the_same_picture_the_bot_used_to_draw(worker: ChartWorker) -> None:
    chart = a_picture()

    png = await worker.progress_png(chart)

    assert png == progress_chart_png(chart)


async def test_a_worker_is_replaced_after_its_share_of_pictures(worker: ChartWorker) -> None:
    pids = []
    for _ in range(7):
        assert (await worker.progress_png(a_picture())).startswith(PNG)
        pids.append(worker.worker_pid)

    # Three pictures each: the third ends its worker, the next picture starts another.
    assert pids[2] is None and pids[5] is None
    assert pids[0] == pids[1] and pids[3] == pids[4] and pids[6] is not None
    assert len({pids[0], pids[3], pids[6]}) == 3 and worker.workers_started == 3
    assert pids[0] is not None and not is_running(pids[0])


async def test_a_worker_that_died_is_replaced_and_the_picture_still_comes(
    worker: ChartWorker,
) -> None:
    await worker.progress_png(a_picture())
    first = worker.worker_pid
    assert first is not None

    os.kill(first, signal.SIGKILL)
    png = await worker.network_png(operators_picture([1, 2, 3], [3, 2, 1]))

    assert png.startswith(PNG)
    assert worker.worker_pid not in (None, first) and worker.workers_started == 2


async def test_a_picture_that_cannot_be_drawn_fails_alone(worker: ChartWorker) -> None:
    await worker.progress_png(a_picture())
    before = worker.worker_pid

    # Three weeks named, two values: matplotlib refuses.
    broken = WeeklyBarsChart("Network", ["a", "b", "c"], [("series", [1, 2])])
    with pytest.raises(ChartWorkerError, match="could not draw"):
        await worker.network_png(broken)

    assert worker.worker_pid == before
    assert (await worker.progress_png(a_picture())).startswith(PNG)


async def test_an_idle_worker_ends_and_the_next_picture_starts_one() -> None:
    drawer = ChartWorker(idle_seconds=0.2)
    try:
        await drawer.progress_png(a_picture())
        pid = drawer.worker_pid
        assert pid is not None
        for _ in range(100):
            if drawer.worker_pid is None and not is_running(pid):
                break
            await asyncio.sleep(0.1)
        assert drawer.worker_pid is None and not is_running(pid)

        assert (await drawer.progress_png(a_picture())).startswith(PNG)
        assert drawer.workers_started == 2
    finally:
        await drawer.close()


async def test_a_stuck_worker_is_stopped_and_the_bot_hears_of_it() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    drawer = ChartWorker(timeout_seconds=0.5, command=sleeper)
    try:
        with pytest.raises(ChartWorkerError, match="took more than"):
            await drawer.progress_png(a_picture())
        assert drawer.worker_pid is None
    finally:
        await drawer.close()


async def test_closing_ends_the_worker(worker: ChartWorker) -> None:
    await worker.progress_png(a_picture())
    pid = worker.worker_pid
    assert pid is not None

    await worker.close()

    assert worker.worker_pid is None and not is_running(pid)


def test_drawing_through_the_worker_never_loads_matplotlib_into_the_bot() -> None:
    probe = "\n".join(
        [
            "import asyncio, sys",
            "from bot.chart_worker import ChartWorker",
            "from bot.charts import WeeklyBarsChart",
            "async def draw():",
            "    worker = ChartWorker()",
            "    png = await worker.network_png(WeeklyBarsChart('t', ['a'], [('s', [1])]))",
            "    await worker.close()",
            "    return png",
            "png = asyncio.run(draw())",
            "print(png[:4] == b'\\x89PNG', 'matplotlib' in sys.modules)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["True", "False"]
