"""CPU-heavy reading of members' text off the event loop, one at a time, within a budget.

Everything a member types is cut to its limit before it is read (`bot.domain.limits`),
so a reading takes milliseconds. But dateparser loads its language data on first use
(about 0.2 s), and what it costs still depends on its input: on the event loop that
time would hold up every other member's answer and the dispatcher. Here it runs in one
worker thread (dateparser does not promise to be thread-safe, and one worker bounds the
CPU a flood of readings can take); a reading that overruns its budget raises
`TimeoutError`, and the caller answers as if it were not understood.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

__all__ = ["READING_BUDGET_SECONDS", "off_loop"]

READING_BUDGET_SECONDS: Final = 2.0

_T = TypeVar("_T")
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netcoach-reading")


async def off_loop(reading: Callable[[], _T], *, budget: float = READING_BUDGET_SECONDS) -> _T:
    """Run `reading` in the reading thread and return its result.

    Raises:
        TimeoutError: it did not finish within `budget` seconds (a reading still queued
            is dropped; one already running finishes unseen in the thread).
    """
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.run_in_executor(_WORKER, reading), budget)
