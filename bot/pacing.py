"""Pacing outgoing messages to Telegram's limits: a global rate, a gap per chat, 429 pauses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["SendPacer"]


class SendPacer:
    """Hands out send slots so the bot never runs into Telegram's limits.

    Slots are spaced evenly at `rate_per_second` (no bursts that a sliding window
    would punish), a chat gets at most one message per `per_chat_interval`, and a
    429 pauses every sender for the `retry_after` Telegram asked for.
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
        self._interval = 1.0 / rate_per_second
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()

    @property
    def rate_per_second(self) -> float:
        """The configured ceiling."""
        return 1.0 / self._interval

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may be sent."""
        async with self._lock:
            now = self._monotonic()
            slot = max(now, self._next_slot, self._paused_until, self._chat_next.get(chat_id, 0.0))
            self._next_slot = slot + self._interval
            self._chat_next[chat_id] = slot + self._per_chat_interval
            if len(self._chat_next) > 10_000:
                self._forget_old_chats(now)
        delay = slot - self._monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def pause_for(self, seconds: float) -> None:
        """Telegram answered 429: nobody sends for `seconds`."""
        until = self._monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next_slot = max(self._next_slot, until)

    def _forget_old_chats(self, now: float) -> None:
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
