"""Telegram-like flood limits: global sliding windows and per-chat token buckets.

Two ceilings for the whole bot, each a sliding one-second window:

- messages sent without `allow_paid_broadcast` ("free" ones) are refused once
  `global_rate` of them (30 by default) went in the last second;
- a message sent with `allow_paid_broadcast` (a paid broadcast, Bot API 7.11) ignores
  that ceiling: it is refused only once `paid_broadcast_rate` messages of either kind
  (1,000 by default) went in the last second. Free messages count there too, so the bot
  as a whole never goes faster than that.

Paid messages are still held to each chat's own pace.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter", "WindowPeak"]


class WindowPeak:
    """Track the most events seen in any sliding one-second window."""

    __slots__ = ("_times", "peak")

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self.peak = 0

    def add(self, now: float) -> None:
        """Count one event at time now."""
        times = self._times
        times.append(now)
        horizon = now - 1.0
        while times[0] <= horizon:
            times.popleft()
        if len(times) > self.peak:
            self.peak = len(times)


class RateLimiter:
    """Decide whether a send may pass; on refusal say how long to wait."""

    def __init__(
        self,
        *,
        global_rate: float = 30.0,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 10,
        paid_broadcast_rate: float = 1000.0,
        enabled: bool = True,
        clock: Callable[[], float],
    ) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.per_chat_burst = per_chat_burst
        self.paid_broadcast_rate = paid_broadcast_rate
        self.enabled = enabled
        self._clock = clock
        # When the free messages of the last second went, and when every message did.
        self._free: deque[float] = deque()
        self._all: deque[float] = deque()
        self._buckets: dict[int, list[float]] = {}
        # Chats with a stricter limit of their own (a busy group): seconds per message.
        self._chat_every: dict[int, float] = {}

    def reset(self) -> None:
        """Forget all past sends."""
        self._free.clear()
        self._all.clear()
        self._buckets.clear()

    def limit_chat(self, chat_id: int, every: float) -> None:
        """Give one chat a limit of its own: one message per `every` seconds, used up now.

        As a group that has had its twenty messages this minute: its next send is
        answered 429 with about `every` seconds to wait; other chats are not affected.
        """
        self._chat_every[chat_id] = every
        self._buckets[chat_id] = [0.0, self._clock()]

    def acquire(self, chat_id: int, *, paid: bool = False) -> int | None:
        """Take one send slot for chat_id; return None if allowed, else retry_after seconds.

        `paid`: the message was sent with `allow_paid_broadcast` (see the module docstring).
        """
        if not self.enabled:
            return None
        now = self._clock()
        horizon = now - 1.0
        for window in (self._free, self._all):
            while window and window[0] <= horizon:
                window.popleft()
        # The bot as a whole never goes faster than the faster of the two ceilings.
        everything = max(self.paid_broadcast_rate, self.global_rate)
        refused = _over(self._all, everything, now)
        if refused is None and not paid:
            refused = _over(self._free, self.global_rate, now)
        if refused is not None:
            return refused
        every = self._chat_every.get(chat_id)
        chat_rate = self.per_chat_rate if every is None else 1.0 / every
        burst = float(self.per_chat_burst if every is None else 1)
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = [burst, now]
        else:
            refill = (now - bucket[1]) * chat_rate
            bucket[0] = min(burst, bucket[0] + refill)
            bucket[1] = now
        if bucket[0] < 1.0:
            rate = chat_rate if chat_rate > 0 else 1.0
            return max(1, math.ceil((1.0 - bucket[0]) / rate))
        bucket[0] -= 1.0
        self._all.append(now)
        if not paid:
            self._free.append(now)
        return None


def _over(window: deque[float], rate: float, now: float) -> int | None:
    """Seconds to wait when `window` (sends of the last second) is full at `rate`, else None."""
    ceiling = max(1, int(rate))
    if len(window) < ceiling:
        return None
    return max(1, math.ceil(window[-ceiling] + 1.0 - now))
