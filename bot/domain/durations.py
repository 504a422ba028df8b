"""Durations typed by people: `/pause 3w`, `/pause 2 Wochen`, the demo's `:wait 7d`."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["MAX_DURATION", "parse_duration"]

MAX_DURATION = timedelta(days=2 * 365 + 1)
"""Longest accepted duration: two years, counting one leap day."""

_UNIT_WORDS: dict[timedelta, tuple[str, ...]] = {
    timedelta(weeks=1): ("w", "wk", "wks", "week", "weeks", "woche", "wochen"),
    timedelta(days=1): ("d", "day", "days", "t", "tag", "tage", "tagen"),
    timedelta(hours=1): ("h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden"),
    timedelta(minutes=1): ("m", "min", "mins", "minute", "minutes", "minuten"),
}
_UNIT_BY_WORD: dict[str, timedelta] = {
    word: unit for unit, words in _UNIT_WORDS.items() for word in words
}

# Longest words first so "min" is not read as "m" + "in".
_UNIT_PATTERN = "|".join(sorted(map(re.escape, _UNIT_BY_WORD), key=len, reverse=True))
# At most six digits per part keeps timedelta far from overflow before the range check.
# The whole text must be consumed by parts, so "3 wochenenden" is refused, not "3 wochen".
_PART = re.compile(rf"\s*(?P<amount>[0-9]{{1,6}})\s*(?P<unit>{_UNIT_PATTERN})\s*")
_JOINERS = re.compile(r"\s*(?:,|\band\b|\bund\b)\s*")
_LEADING_WORD = re.compile(r"^(?:for|für|in)\s+")


def parse_duration(text: str) -> timedelta | None:
    """Read "3w", "90min", "1w2d", "3 weeks", "2 Wochen", "1 Tag" as a timedelta.

    Whole numbers only; parts add up ("1w 2d", "1 Woche und 2 Tage"). Returns None for
    garbage, zero, negative amounts and anything longer than `MAX_DURATION`.
    """
    rest = _LEADING_WORD.sub("", text.strip().casefold(), count=1)
    rest = _JOINERS.sub(" ", rest).strip()
    if not rest:
        return None
    total = timedelta(0)
    position = 0
    while position < len(rest):
        match = _PART.match(rest, position)
        if match is None:
            return None
        total += int(match["amount"]) * _UNIT_BY_WORD[match["unit"]]
        position = match.end()
    if not timedelta(0) < total <= MAX_DURATION:
        return None
    return total
