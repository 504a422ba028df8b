"""Counters about what the bot did to the simulator."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simulator.limits import WindowPeak

__all__ = ["SimulatorStats"]


@dataclass(slots=True)
class SimulatorStats:
    """Counts of requests, delivered messages, errors and send peaks."""

    requests: int = 0
    sent_messages: int = 0
    # Messages sent with `allow_paid_broadcast` (each costs the bot Telegram Stars).
    paid_messages: int = 0
    too_many_requests: int = 0
    forbidden: int = 0
    bad_requests: int = 0
    server_errors: int = 0
    updates_created: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0
    per_method: Counter[str] = field(default_factory=Counter)
    per_status: Counter[int] = field(default_factory=Counter)
    sent_per_chat: Counter[int] = field(default_factory=Counter)
    _global_peak: WindowPeak = field(default_factory=WindowPeak)
    _free_peak: WindowPeak = field(default_factory=WindowPeak)
    _chat_peaks: dict[int, WindowPeak] = field(default_factory=dict)

    def count_request(self, method: str, status: int) -> None:
        """Count one answered request."""
        self.requests += 1
        self.per_method[method] += 1
        self.per_status[status] += 1
        if status == 429:
            self.too_many_requests += 1
        elif status == 403:
            self.forbidden += 1
        elif status == 400:
            self.bad_requests += 1
        elif status >= 500:
            self.server_errors += 1

    def count_delivery(self, chat_id: int, now: float, *, paid: bool = False) -> None:
        """Count one message delivered to a chat at monotonic time now (`paid`: a paid one)."""
        self.sent_messages += 1
        self.sent_per_chat[chat_id] += 1
        self._global_peak.add(now)
        if paid:
            self.paid_messages += 1
        else:
            self._free_peak.add(now)
        peak = self._chat_peaks.get(chat_id)
        if peak is None:
            peak = self._chat_peaks[chat_id] = WindowPeak()
        peak.add(now)

    @property
    def max_per_second(self) -> int:
        """Most messages delivered in any one-second window, all chats together."""
        return self._global_peak.peak

    @property
    def max_free_per_second(self) -> int:
        """Most messages sent without `allow_paid_broadcast` in any one-second window."""
        return self._free_peak.peak

    @property
    def max_per_second_per_chat(self) -> int:
        """Most messages delivered to a single chat in any one-second window."""
        return max((peak.peak for peak in self._chat_peaks.values()), default=0)

    def max_per_second_in(self, chat_id: int) -> int:
        """Most messages delivered to chat_id in any one-second window."""
        peak = self._chat_peaks.get(chat_id)
        return peak.peak if peak else 0

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as plain data (for reports and benchmarks)."""
        return {
            "requests": self.requests,
            "sent_messages": self.sent_messages,
            "paid_messages": self.paid_messages,
            "too_many_requests": self.too_many_requests,
            "forbidden": self.forbidden,
            "bad_requests": self.bad_requests,
            "server_errors": self.server_errors,
            "updates_created": self.updates_created,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
            "per_method": dict(self.per_method),
            "per_status": dict(self.per_status),
            "max_per_second": self.max_per_second,
            "max_free_per_second": self.max_free_per_second,
            "max_per_second_per_chat": self.max_per_second_per_chat,
        }
