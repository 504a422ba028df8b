"""The pacer keeps the bot under Telegram's limits by construction (checked on a fake clock)."""

from __future__ import annotations

import itertools

import pytest

from bot.pacing import WINDOW_GUARD_SECONDS, SendPacer


class FakeClock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _max_in_any_second(slots: list[float]) -> int:
    return max(sum(1 for s in slots if start <= s < start + 1.0) for start in slots)


def test_slots_are_even_and_no_second_holds_more_than_the_ceiling() -> None:
    clock = FakeClock()
    pacer = SendPacer(30, monotonic=clock)
    slots = [pacer.reserve(chat) for chat in range(300)]
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(slots)}
    assert min(gaps) >= round(1 / 30, 6)
    assert _max_in_any_second(slots) <= 30
    achieved = (len(slots) - 1) / (slots[-1] - slots[0])
    assert achieved >= 0.97 * 30


def test_a_late_sender_does_not_earn_a_burst() -> None:
    clock = FakeClock()
    pacer = SendPacer(10, monotonic=clock)
    first = [pacer.reserve(chat) for chat in range(10)]
    clock.now = first[-1]  # the loop was busy; everyone is late
    second = [pacer.reserve(chat) for chat in range(10, 20)]
    assert _max_in_any_second(first + second) <= 10
    assert second[0] >= first[0] + 1.0 + WINDOW_GUARD_SECONDS


def test_one_chat_gets_at_most_one_message_per_second() -> None:
    clock = FakeClock()
    pacer = SendPacer(30, monotonic=clock)
    slots = [pacer.reserve(7) for _ in range(5)]
    assert [round(b - a, 6) for a, b in itertools.pairwise(slots)] == [1.0] * 4


def test_a_429_pauses_everyone() -> None:
    clock = FakeClock()
    pacer = SendPacer(30, monotonic=clock)
    pacer.reserve(1)
    pacer.pause_for(3)
    assert pacer.reserve(2) >= clock.now + 3
    assert pacer.reserve(3) >= clock.now + 3


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SendPacer(0)


async def test_senders_woken_late_still_never_put_more_than_the_ceiling_in_one_second() -> None:
    import asyncio
    import time

    pacer = SendPacer(10)
    starts: list[float] = []

    async def sender(chat: int) -> None:
        await pacer.acquire(chat)
        starts.append(time.monotonic())

    tasks = [asyncio.create_task(sender(chat)) for chat in range(25)]
    await asyncio.sleep(0.35)
    time.sleep(0.3)  # noqa: ASYNC251 - block the loop: several senders wake up late together
    await asyncio.gather(*tasks)
    starts.sort()
    worst = max(sum(1 for s in starts if first <= s < first + 1.0) for first in starts)
    assert worst <= 10
