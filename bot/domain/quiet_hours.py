"""Quiet hours: the local window in which follow-ups and check-ins wait for the morning."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.schedule import parse_time_of_day, slot_on

__all__ = ["OFF", "QuietHours", "parse_quiet_hours"]

# What an operator writes for no quiet hours at all.
OFF = "off"


class QuietHours:
    """A daily window from `start` to `end` (minutes of the day); it may span midnight."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def held_until(self, now: datetime, timezone: str) -> datetime | None:
        """The end of the quiet window if `now` falls in it (in the member's zone), else None."""
        if self.start == self.end:
            return None
        zone = ZoneInfo(timezone)
        local = now.astimezone(zone)
        minute = local.hour * 60 + local.minute
        today = local.date()
        if self.start < self.end:
            inside = self.start <= minute < self.end
            return slot_on(today, zone, self.end) if inside else None
        if minute >= self.start:
            return slot_on(today + timedelta(days=1), zone, self.end)
        if minute < self.end:
            return slot_on(today, zone, self.end)
        return None


def parse_quiet_hours(text: str) -> QuietHours:
    """Read "22:00-07:00" (hours 0-23, minutes 0-59), or "off"; raises ValueError otherwise."""
    if text.strip().casefold() == OFF:
        return QuietHours(0, 0)
    start_text, dash, end_text = text.partition("-")
    start, end = parse_time_of_day(start_text.strip()), parse_time_of_day(end_text.strip())
    if not dash or start is None or end is None:
        raise ValueError(
            f"quiet hours must look like 22:00-07:00 (hours 0-23, minutes 0-59) or {OFF}, "
            f"not {text!r}"
        )
    if start == end:
        # An empty window and a whole day read alike; say which is meant.
        raise ValueError(f"quiet hours {text!r} start when they end; write {OFF} for none")
    return QuietHours(start, end)
