"""Fault injection: failing, slow and rate-limited answers on demand."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.errors import ApiError

__all__ = ["ESSENTIAL_METHODS", "FaultInjector"]

# What a bot needs to answer members at all; a Bot API server that knows only these
# (`FaultInjector.answer_only`) shows what a bot does when everything else fails.
ESSENTIAL_METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteMessage",
)

_DESCRIPTIONS = {
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _methods(methods: str | Iterable[str] | None) -> frozenset[str] | None:
    if methods is None:
        return None
    if isinstance(methods, str):
        return frozenset({methods.lower()})
    return frozenset(name.lower() for name in methods)


@dataclass(slots=True)
class _Failure:
    remaining: int
    status: int
    description: str
    methods: frozenset[str] | None
    # Calls to let through before the first failure.
    passing: int = 0


class FaultInjector:
    """Faults the simulator applies before running a method; state is never touched."""

    def __init__(self) -> None:
        self._failures: list[_Failure] = []
        self._error_rate = 0.0
        self._error_status = 500
        self._error_methods: frozenset[str] | None = None
        self._random = random.Random(0)
        self._delays: dict[str | None, float] = {}
        self._late: dict[str | None, float] = {}
        self._storm_remaining = 0
        self._storm_retry_after = 1
        self._only: frozenset[str] | None = None
        self._only_status = 404
        self.injected = 0

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(
            self._failures
            or self._error_rate
            or self._delays
            or self._late
            or self._storm_remaining
            or self._only is not None
        )

    def answer_only(self, methods: Iterable[str] | None, *, status: int = 404) -> None:
        """Answer every method but `methods` with `status` (404, 500...); None lifts it.

        As a Bot API server that does not know (404) or keeps failing (500) every other
        method; `ESSENTIAL_METHODS` are the ones a bot cannot answer members without.
        """
        self._only = _methods(methods)
        self._only_status = status

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        method: str | Iterable[str] | None = None,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """Fail the next count calls (of method, if given) with an HTTP error status.

        With `after`, that many calls go through first (as Telegram failing mid-batch).
        """
        text = description or _DESCRIPTIONS.get(status, f"Error {status}")
        self._failures.append(_Failure(count, status, text, _methods(method), after))

    def set_error_rate(
        self,
        rate: float,
        *,
        seed: int | None = 0,
        status: int = 500,
        methods: str | Iterable[str] | None = None,
    ) -> None:
        """Fail a random share of calls (reproducible with seed); rate 0 switches it off."""
        self._error_rate = rate
        self._error_status = status
        self._error_methods = _methods(methods)
        self._random = random.Random(seed)

    def set_delay(self, seconds: float, *, methods: str | Iterable[str] | None = None) -> None:
        """Answer slowly: wait seconds before handling all calls or the given methods."""
        names = _methods(methods)
        if names is None:
            self._delays[None] = seconds
        else:
            for name in names:
                self._delays[name] = seconds

    def answer_late(self, seconds: float, *, methods: str | Iterable[str] | None = None) -> None:
        """Do what is asked, then wait `seconds` before answering (0 switches it off).

        As Telegram when it is slow to answer: a client that stops waiting (a read
        timeout) cannot tell whether its message went out, and it did.
        """
        names = _methods(methods)
        for name in names if names is not None else [None]:
            if seconds:
                self._late[name] = seconds
            else:
                self._late.pop(name, None)

    def late_for(self, method: str) -> float:
        """Return how long the answer to method waits after it was done (0 when none)."""
        if not self._late:
            return 0.0
        return self._late.get(method.lower(), self._late.get(None, 0.0))

    def rate_limit_storm(self, count: int, *, retry_after: int = 1) -> None:
        """Answer the next count send calls with 429 and retry_after seconds."""
        self._storm_remaining = count
        self._storm_retry_after = max(1, retry_after)

    def clear(self) -> None:
        """Switch every fault off."""
        self._failures.clear()
        self._error_rate = 0.0
        self._delays.clear()
        self._late.clear()
        self._storm_remaining = 0
        self._only = None

    def delay_for(self, method: str) -> float:
        """Return the delay to apply to method (0 when none)."""
        if not self._delays:
            return 0.0
        return self._delays.get(method.lower(), self._delays.get(None, 0.0))

    def check(self, method: str, *, is_send: bool) -> ApiError | None:
        """Return the injected error for this call, consuming one-shot faults, or None."""
        lowered = method.lower()
        if self._only is not None and lowered not in self._only:
            self.injected += 1
            status = self._only_status
            return ApiError(status, _DESCRIPTIONS.get(status, f"Error {status}"))
        for failure in self._failures:
            if failure.methods is None or lowered in failure.methods:
                if failure.passing > 0:
                    failure.passing -= 1
                    continue
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                self.injected += 1
                return ApiError(failure.status, failure.description)
        if is_send and self._storm_remaining > 0:
            self._storm_remaining -= 1
            self.injected += 1
            retry = self._storm_retry_after
            return ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        targeted = self._error_methods is None or lowered in self._error_methods
        if self._error_rate and targeted and self._random.random() < self._error_rate:
            self.injected += 1
            status = self._error_status
            return ApiError(status, _DESCRIPTIONS.get(status, f"Error {status}"))
        return None
