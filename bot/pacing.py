"""Pacing outgoing messages to Telegram's limits: a global rate, a gap per chat, 429 pauses."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

__all__ = ["WINDOW_GUARD_SECONDS", "SendPacer"]

# Telegram counts sends in a sliding second as they arrive; requests travel with some
# jitter, so no `rate` sends ever start within one second plus this guard.
WINDOW_GUARD_SECONDS = 0.02


class SendPacer:
    """Hands out send slots so the bot never runs into Telegram's limits.

    Slots are spaced evenly at `rate_per_second` (no bursts that a sliding window
    would punish), no more than `rate_per_second` slots fall in any second (with a
    small guard for network jitter), a chat gets at most one message per
    `per_chat_interval`, and a 429 pauses every sender for the `retry_after`
    Telegram asked for.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        per_chat_interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._rate = rate_per_second
        self._interval = 1.0 / rate_per_second
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._window: deque[float] = deque(maxlen=max(1, math.floor(rate_per_second)))
        # When sends really started: a sender woken late must not bunch with the next one.
        self._started: deque[float] = deque(maxlen=self._window.maxlen)
        self._lock = asyncio.Lock()

    @property
    def rate_per_second(self) -> float:
        """The configured ceiling."""
        return self._rate

    def reserve(self, chat_id: int, *, per_chat: bool = True) -> float:
        """Book the next slot for `chat_id` and return when it is (monotonic seconds).

        `per_chat=False` skips the one-per-second gap for the chat (replies to a
        member who is clicking through a flow) but still counts the slot for it.
        """
        now = self._monotonic()
        slot = max(now, self._next_slot, self._paused_until)
        if per_chat:
            slot = max(slot, self._chat_next.get(chat_id, 0.0))
        if len(self._window) == self._window.maxlen:
            slot = max(slot, self._window[0] + 1.0 + WINDOW_GUARD_SECONDS)
        self._window.append(slot)
        self._next_slot = slot + self._interval
        self._chat_next[chat_id] = slot + self._per_chat_interval
        if len(self._chat_next) > 10_000:
            self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        return slot

    async def acquire(self, chat_id: int, *, per_chat: bool = True) -> None:
        """Wait until a message to `chat_id` may be sent."""
        async with self._lock:
            slot = self.reserve(chat_id, per_chat=per_chat)
        delay = slot - self._monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        # Slots are booked ahead; under load a sender may wake late and land close to the
        # next one. Check the real start times so no second ever holds more than `rate`.
        while True:
            now = self._monotonic()
            full = len(self._started) == self._started.maxlen
            if not full or now >= self._started[0] + 1.0 + WINDOW_GUARD_SECONDS:
                self._started.append(now)
                return
            await asyncio.sleep(self._started[0] + 1.0 + WINDOW_GUARD_SECONDS - now)

    def pause_for(self, seconds: float) -> None:
        """Telegram answered 429: nobody sends for `seconds`."""
        until = self._monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next_slot = max(self._next_slot, until)
