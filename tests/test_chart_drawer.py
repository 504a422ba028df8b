"""Pictures are drawn off the event loop, one at a time, and a broken one fails alone."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

import pytest

import bot.chart_drawer
from bot.chart_drawer import ChartDrawer
from bot.charts import ProgressChart, WeeklyBarsChart, progress_chart_png
from bot.domain.review import History, progress_picture
from bot.screens.review import progress_chart
from content.cards import load_cards

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
PNG = b"\x89PNG"


def a_picture() -> ProgressChart:
    return progress_chart(progress_picture(load_cards(), History(), NOW, "Europe/Berlin"), "en")


async def test_the_drawer_draws_the_same_picture_as_drawing_it_directly() -> None:
    chart = a_picture()

    png = await ChartDrawer().progress_png(chart)

    assert png == progress_chart_png(chart)


async def test_pictures_are_drawn_outside_the_event_loop_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_thread = threading.current_thread()
    drawing_now = most_at_once = 0

    def slow_drawing(chart: ProgressChart) -> bytes:
        nonlocal drawing_now, most_at_once
        assert threading.current_thread() is not loop_thread
        drawing_now += 1
        most_at_once = max(most_at_once, drawing_now)
        time.sleep(0.05)
        drawing_now -= 1
        return PNG

    monkeypatch.setattr(bot.chart_drawer, "progress_chart_png", slow_drawing)
    drawer = ChartDrawer()

    # Five members ask at once; meanwhile the event loop keeps turning.
    ticks = 0

    async def keep_turning() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    turning = asyncio.create_task(keep_turning())
    pictures = await asyncio.gather(*(drawer.progress_png(a_picture()) for _ in range(5)))
    turning.cancel()

    assert pictures == [PNG] * 5
    assert most_at_once == 1
    assert ticks > 5  # the loop ran while the pictures were being drawn


async def test_a_picture_that_cannot_be_drawn_fails_alone() -> None:
    drawer = ChartDrawer()
    # Three weeks named, two values.
    broken = WeeklyBarsChart("Network", ["a", "b", "c"], [("series", [1, 2])])

    with pytest.raises(ValueError, match="weeks named"):
        await drawer.network_png(broken)

    assert (await drawer.progress_png(a_picture())).startswith(PNG)
