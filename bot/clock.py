"""The one clock the whole bot reads, injectable so the demo and tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ShiftableClock", "SystemClock"]


class Clock(Protocol):
    """Tells the current moment as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class ShiftableClock:
    """Real time plus an offset that can only grow (`:wait 7d` in the demo).

    With `frozen_at` the clock stands still until moved, which tests use for
    exact assertions.
    """

    def __init__(self, offset: timedelta = timedelta(0), frozen_at: datetime | None = None):
        self._offset = offset
        self._frozen_at = frozen_at

    def now(self) -> datetime:
        """Return the shifted time in UTC."""
        base = self._frozen_at if self._frozen_at is not None else datetime.now(UTC)
        return base + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._offset += delta

    def set(self, moment: datetime) -> None:
        """Freeze the clock at `moment` (tests)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        self._frozen_at = moment.astimezone(UTC)
        self._offset = timedelta(0)
