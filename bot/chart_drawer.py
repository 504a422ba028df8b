"""Pictures drawn off the event loop, in one thread of their own, one at a time.

A picture costs ~40 ms of CPU (BENCHMARKS.md §3), most of it in Pillow's PNG encoder,
which lets go of the interpreter lock; the bot's memory grows by one picture's pixels
(~9 MiB) on the first pictures and then stays flat. One thread bounds both: a burst of
`/review`s waits in line instead of drawing many pictures at once. (Pictures used to be
drawn by matplotlib in a recycled child process; with Pillow that process cost more
memory than it saved.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.charts import ProgressChart, WeeklyBarsChart, network_chart_png, progress_chart_png

__all__ = ["ChartDrawer"]

_Chart = TypeVar("_Chart")


class ChartDrawer:
    """Draws the bot's pictures in its picture thread."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netcoach-charts")

    async def progress_png(self, chart: ProgressChart) -> bytes:
        """A member's progress picture as PNG bytes."""
        return await self._draw(progress_chart_png, chart)

    async def network_png(self, chart: WeeklyBarsChart) -> bytes:
        """Operators' weekly picture as PNG bytes."""
        return await self._draw(network_chart_png, chart)

    async def _draw(self, drawing: Callable[[_Chart], bytes], chart: _Chart) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._thread, drawing, chart)
