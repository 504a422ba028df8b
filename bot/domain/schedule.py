"""Weekly slots in the member's local time: when the next prompt is due, and parsing slots.

A slot is a weekday (0 = Monday … 6 = Sunday, as `date.weekday()`) plus a minute of the day
in the member's IANA time zone. Instants are handed out as aware UTC datetimes, which is
what the database stores in `due_at`.

DST policy (the same as RFC 5545, section 3.3.5, and PEP 495's `fold=0`):

* A wall time that does not exist (spring-forward gap) is read with the UTC offset that was
  in force *before* the gap, so it lands as far after the gap's start as it was meant to be:
  02:30 on the last Sunday of March in Europe/Berlin is sent at 03:30 CEST (01:30 UTC).
* A wall time that happens twice (fall-back fold) is sent at its first occurrence only.

So every local calendar week has exactly one slot; iterating `next_slot_after` never skips
or doubles a week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "MINUTES_PER_DAY",
    "WEEKDAYS",
    "catch_up_slot",
    "format_minute_of_day",
    "next_slot_after",
    "parse_schedule",
    "parse_time_of_day",
    "parse_weekday",
    "slot_on",
]

MINUTES_PER_DAY = 24 * 60

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
"""English weekday names, indexed like `date.weekday()`."""

_WEEKDAY_WORDS: dict[str, int] = {
    word: day
    for day, words in enumerate(
        (
            ("mon", "monday", "mo", "montag"),
            ("tue", "tues", "tuesday", "di", "dienstag"),
            ("wed", "weds", "wednesday", "mi", "mittwoch"),
            ("thu", "thur", "thurs", "thursday", "do", "donnerstag"),
            ("fri", "friday", "fr", "freitag"),
            ("sat", "saturday", "sa", "samstag", "sonnabend"),
            ("sun", "sunday", "so", "sonntag"),
        )
    )
    for word in words
}

# "9", "09:05", "9.30", "9h30", "9 Uhr", "21h", "9am", "9:15 p.m." — ASCII digits only.
_TIME_OF_DAY = re.compile(
    r"(?P<hour>[0-9]{1,2})"
    r"(?:(?:[:.]|h)(?P<minute>[0-9]{2}))?"
    r"\s*(?P<suffix>uhr|h|am|pm|a\.m\.|p\.m\.)?",
    re.ASCII,
)

_SCHEDULE_COMMAND = re.compile(r"^/schedule(?:@\w+)?(?:\s+|$)", re.IGNORECASE)
# "am" only counts as filler in front ("am Montag um 9"): after a number it means a.m.
_FILLER_WORDS = frozenset({"at", "um", "on", "every", "jeden", "jeder", "immer"})


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _check_slot(weekday: int, minute_of_day: int) -> None:
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) … 6 (Sunday), got {weekday}")
    if not 0 <= minute_of_day < MINUTES_PER_DAY:
        raise ValueError(f"minute_of_day must be 0 … {MINUTES_PER_DAY - 1}, got {minute_of_day}")


def slot_on(day: date, tz: ZoneInfo | str, minute_of_day: int) -> datetime:
    """Return the UTC instant of `minute_of_day` on local calendar `day` (DST policy above)."""
    if not 0 <= minute_of_day < MINUTES_PER_DAY:
        raise ValueError(f"minute_of_day must be 0 … {MINUTES_PER_DAY - 1}, got {minute_of_day}")
    hour, minute = divmod(minute_of_day, 60)
    # fold=0 picks the first occurrence in a fold and the pre-gap offset in a gap.
    local = datetime.combine(day, time(hour, minute, fold=0), tzinfo=_zone(tz))
    return local.astimezone(UTC)


def next_slot_after(
    now: datetime, tz: ZoneInfo | str, weekday: int, minute_of_day: int
) -> datetime:
    """Return the first weekly slot strictly after `now`, as aware UTC.

    Raises:
        ValueError: if `now` is naive or the slot is out of range.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    _check_slot(weekday, minute_of_day)
    zone = _zone(tz)
    # Start a day early: a slot just before midnight that fell into a gap may have been
    # pushed past midnight, so yesterday's slot can still lie ahead of `now`.
    start = now.astimezone(zone).date() - timedelta(days=1)
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    while (slot := slot_on(day, zone, minute_of_day)) <= now:
        day += timedelta(days=7)
    return slot


def catch_up_slot(
    last_due: datetime, now: datetime, tz: ZoneInfo | str, weekday: int, minute_of_day: int
) -> datetime:
    """Return when to schedule the prompt after the one due at `last_due` has been sent.

    However many weeks the bot was down, the caller sends a single prompt for the missed
    slot and the next one is the next regular slot after `now` (never in the past, so no
    flood of catch-ups). It is also always after `last_due`, so an early run never re-books
    the same slot.
    """
    return next_slot_after(max(last_due, now), tz, weekday, minute_of_day)


def parse_weekday(text: str) -> int | None:
    """Read a German or English weekday ("Mo.", "dienstag", "Thurs") as 0 … 6, else None."""
    word = text.strip().casefold()
    if word.endswith("."):
        word = word[:-1]
    return _WEEKDAY_WORDS.get(word)


def parse_time_of_day(text: str) -> int | None:
    """Read "9", "09:05", "9.30", "9 Uhr", "21h", "9:15 pm" or "12am" as minute of day, or None."""
    match = _TIME_OF_DAY.fullmatch(text.strip().casefold())
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    suffix = (match["suffix"] or "").replace(".", "")
    if minute > 59:
        return None
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif hour > 23:
        return None
    return hour * 60 + minute


def parse_schedule(text: str) -> tuple[int, int] | None:
    """Read "/schedule mon 09:00", "Dienstag 18:30 Uhr" or "9am mon" as (weekday, minute)."""
    rest = _SCHEDULE_COMMAND.sub("", text.strip(), count=1)
    words = [
        word for word in rest.replace(",", " ").split() if word.casefold() not in _FILLER_WORDS
    ]
    if words and words[0].casefold() == "am":
        words = words[1:]
    if len(words) < 2:
        return None
    for weekday_word, time_words in ((words[0], words[1:]), (words[-1], words[:-1])):
        weekday = parse_weekday(weekday_word)
        minute_of_day = parse_time_of_day(" ".join(time_words))
        if weekday is not None and minute_of_day is not None:
            return weekday, minute_of_day
    return None


def format_minute_of_day(minute_of_day: int) -> str:
    """Format a minute of day as 24-hour "HH:MM" (545 -> "09:05")."""
    if not 0 <= minute_of_day < MINUTES_PER_DAY:
        raise ValueError(f"minute_of_day must be 0 … {MINUTES_PER_DAY - 1}, got {minute_of_day}")
    hour, minute = divmod(minute_of_day, 60)
    return f"{hour:02d}:{minute:02d}"
