"""Fault injection: failing, slow and rate-limited answers on demand."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.errors import ApiError

__all__ = ["FaultInjector"]

_DESCRIPTIONS = {
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


class FaultInjector:
    """Faults the simulator applies before running a method; state is never touched."""

    def __init__(self) -> None:
        self._failures: list[_Failure] = []
        self._error_rate = 0.0
        self._error_status = 500
        self._error_methods: frozenset[str] | None = None
        self._random = random.Random(0)
        self._delays: dict[str | None, float] = {}
        self._storm_remaining = 0
        self._storm_retry_after = 1
        self.injected = 0

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(self._failures or self._error_rate or self._delays or self._storm_remaining)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        method: str | Iterable[str] | None = None,
        description: str | None = None,
    ) -> None:
        """Fail the next count calls (of method, if given) with an HTTP error status."""
        text = description or _DESCRIPTIONS.get(status, f"Error {status}")
        self._failures.append(_Failure(count, status, text, _methods(method)))

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

    def rate_limit_storm(self, count: int, *, retry_after: int = 1) -> None:
        """Answer the next count send calls with 429 and retry_after seconds."""
        self._storm_remaining = count
        self._storm_retry_after = max(1, retry_after)

    def clear(self) -> None:
        """Switch every fault off."""
        self._failures.clear()
        self._error_rate = 0.0
        self._delays.clear()
        self._storm_remaining = 0

    def delay_for(self, method: str) -> float:
        """Return the delay to apply to method (0 when none)."""
        if not self._delays:
            return 0.0
        return self._delays.get(method.lower(), self._delays.get(None, 0.0))

    def check(self, method: str, *, is_send: bool) -> ApiError | None:
        """Return the injected error for this call, consuming one-shot faults, or None."""
        lowered = method.lower()
        for failure in self._failures:
            if failure.methods is None or lowered in failure.methods:
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
