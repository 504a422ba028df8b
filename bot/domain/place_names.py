"""How a place name becomes lookup keys: case, accents, punctuation and umlauts do not matter.

The same rules turn geonames' spellings into the index's keys and a member's typing into
the keys looked up, so "Muenchen", "munchen" and "München" meet under one key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["city_label", "city_names", "name_keys"]

# Transliterations a German keyboard without umlauts produces ("Muenchen", "Koeln").
# (casefold() already turns "ß" into "ss".)
_GERMAN_SPELLINGS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_GERMAN_UMLAUTS = frozenset("äöü")
# Latin diacritics after NFKD decomposition ("é" -> "e" + U+0301).
_COMBINING_MARKS = re.compile("[\u0300-\u036f]+")
_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def _without_accents(text: str) -> str:
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))


def _tidy(spelling: str) -> str:
    return _NOT_A_LETTER_OR_DIGIT.sub(" ", spelling).strip()


def name_keys(text: str) -> set[str]:
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


def city_names(city: Mapping[str, Any]) -> Iterable[str]:
    """A geonames city's own name, then its alternate names worth matching."""
    yield str(city["name"])
    for name in city.get("alternatenames") or ():
        if name and not _is_machine_transliteration(name):
            yield str(name)


def city_label(city: Mapping[str, Any]) -> str:
    """Return "Berlin, DE"; US cities also name their state ("Springfield, IL, US")."""
    country = str(city["countrycode"])
    state = str(city.get("admin1code") or "")
    if country == "US" and state.isalpha():
        return f"{city['name']}, {state}, {country}"
    return f"{city['name']}, {country}"
