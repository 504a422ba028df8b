"""Durations typed by members (`/pause 3w`) and by the demo (`:wait 7d`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.durations import MAX_DURATION, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3w", timedelta(weeks=3)),
        ("2d", timedelta(days=2)),
        ("7d", timedelta(days=7)),
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("90min", timedelta(minutes=90)),
        ("1w2d", timedelta(days=9)),
        ("1w 2d", timedelta(days=9)),
        ("3 weeks", timedelta(weeks=3)),
        ("1 week", timedelta(weeks=1)),
        ("10 days", timedelta(days=10)),
        ("2 Wochen", timedelta(weeks=2)),
        ("1 Woche", timedelta(weeks=1)),
        ("3 Tage", timedelta(days=3)),
        ("1 Tag", timedelta(days=1)),
        ("2 Stunden", timedelta(hours=2)),
        ("45 Minuten", timedelta(minutes=45)),
        ("  3W  ", timedelta(weeks=3)),
        ("für 2 Wochen", timedelta(weeks=2)),
        ("for 3 days", timedelta(days=3)),
        ("1 Woche und 2 Tage", timedelta(days=9)),
        ("1 week, 2 days and 3 hours", timedelta(days=9, hours=3)),
    ],
)
def test_a_member_can_pause_for_as_long_as_they_say(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "3",
        "w",
        "0d",
        "0w 0h",
        "-3d",
        "3 weeks ago",
        "drei Wochen",
        "3 wochenenden",
        "1.5h",
        "2x",
        "3 months",
        "\N{FULLWIDTH DIGIT ONE}d",
        "d3",
        "3d garbage",
    ],
)
def test_a_pause_that_makes_no_sense_is_refused(text: str) -> None:
    assert parse_duration(text) is None


def test_a_pause_longer_than_two_years_is_refused_as_absurd() -> None:
    assert parse_duration("104w") == timedelta(weeks=104)
    assert parse_duration("731d") == MAX_DURATION
    assert parse_duration("732d") is None
    assert parse_duration("105 weeks") is None
    assert parse_duration("999999w") is None
    assert parse_duration("9999999999999999999999w") is None


@settings(max_examples=200, deadline=None)
@given(
    weeks=st.integers(0, 120),
    days=st.integers(0, 900),
    hours=st.integers(0, 100),
    minutes=st.integers(0, 10_000),
)
def test_compact_durations_add_up_their_parts(
    weeks: int, days: int, hours: int, minutes: int
) -> None:
    expected = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)

    parsed = parse_duration(f"{weeks}w{days}d{hours}h{minutes}m")

    if timedelta(0) < expected <= MAX_DURATION:
        assert parsed == expected
    else:
        assert parsed is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_whatever_a_member_types_is_either_a_sensible_duration_or_none(text: str) -> None:
    parsed = parse_duration(text)
    assert parsed is None or timedelta(0) < parsed <= MAX_DURATION
