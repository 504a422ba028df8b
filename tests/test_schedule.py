"""Weekly slots in the member's local time, across DST changes, and parsing `/schedule`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    catch_up_slot,
    format_minute_of_day,
    next_slot_after,
    parse_schedule,
    parse_time_of_day,
    parse_weekday,
    slot_on,
)

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def utc(year: int, month: int, day: int, hour: int = 0, minute_of_hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute_of_hour, tzinfo=UTC)


def minute(hour: int, minute_of_hour: int = 0) -> int:
    return hour * 60 + minute_of_hour


def wall_time_exists(day: date, minute_of_day: int, zone: ZoneInfo) -> bool:
    """Tell whether the clocks in `zone` ever show that minute on that day (not in a gap)."""
    wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute_of_day)
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def assert_shows_booked_time_unless_in_a_gap(
    slot: datetime, zone: ZoneInfo, weekday: int, minute_of_day: int
) -> None:
    local = slot.astimezone(zone)
    if (local.weekday(), local.hour * 60 + local.minute) != (weekday, minute_of_day):
        assert not wall_time_exists(booked_day(slot, zone, weekday), minute_of_day, zone)


def booked_day(slot: datetime, zone: ZoneInfo, weekday: int) -> date:
    """The local calendar day a slot was booked for; a gap may have pushed it past midnight."""
    local_day = slot.astimezone(zone).date()
    for day in (local_day, local_day - timedelta(days=1)):
        if day.weekday() == weekday:
            return day
    raise AssertionError(f"{slot} is not on weekday {weekday} in {zone} nor the day after")


def weekly_series(
    zone: ZoneInfo, weekday: int, minute_of_day: int, start: datetime, end: datetime
) -> list[datetime]:
    slots: list[datetime] = []
    slot = next_slot_after(start, zone, weekday, minute_of_day)
    while slot < end:
        # Guard: a slot that does not move forward would loop here for ever.
        assert not slots or slot > slots[-1], f"{slot} does not move past {slots[-1]}"
        slots.append(slot)
        slot = next_slot_after(slot, zone, weekday, minute_of_day)
    return slots


def assert_one_slot_per_local_week(
    zone_name: str, weekday: int, minute_of_day: int, first_day: date, last_day: date
) -> list[datetime]:
    """Check the whole series between two local days and return it for further checks."""
    zone = ZoneInfo(zone_name)
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    slots = weekly_series(zone, weekday, minute_of_day, start, end)

    expected_days = [
        first_day + timedelta(days=offset)
        for offset in range((last_day - first_day).days + 1)
        if (first_day + timedelta(days=offset)).weekday() == weekday
    ]
    assert [booked_day(slot, zone, weekday) for slot in slots] == expected_days
    for slot in slots:
        assert slot.tzinfo is UTC
        assert slot == slot_on(booked_day(slot, zone, weekday), zone, minute_of_day)
        assert_shows_booked_time_unless_in_a_gap(slot, zone, weekday, minute_of_day)
    return slots


# --- the weekly series across DST -------------------------------------------------------------


def test_a_berlin_member_gets_one_prompt_per_week_across_both_dst_changes() -> None:
    slots = assert_one_slot_per_local_week(
        "Europe/Berlin", MONDAY, minute(9), date(2026, 1, 1), date(2027, 12, 31)
    )
    assert len(slots) == 104
    # 09:00 local is 08:00 UTC in winter and 07:00 UTC in summer, never anything else.
    assert {slot.hour for slot in slots} == {7, 8}
    assert utc(2026, 3, 23, 8) in slots  # last Monday of CET
    assert utc(2026, 3, 30, 7) in slots  # first Monday of CEST
    assert utc(2026, 10, 26, 8) in slots  # back to CET


ZONES_AND_YEARS = [
    ("Europe/Berlin", date(2026, 1, 1), date(2027, 12, 31)),
    ("Australia/Sydney", date(2026, 1, 1), date(2027, 12, 31)),
    ("America/New_York", date(2026, 1, 1), date(2027, 12, 31)),
    ("America/Sao_Paulo", date(2026, 1, 1), date(2027, 12, 31)),
    ("America/Sao_Paulo", date(2018, 1, 1), date(2018, 12, 31)),
    ("Asia/Kathmandu", date(2026, 1, 1), date(2027, 12, 31)),
]
# Sunday (or Saturday night) times that fall into a gap or a fold somewhere above, plus
# ordinary ones: 00:30 and 23:30 (Sao Paulo 2018), 01:30, 02:30 (NY, Berlin, Sydney).
TRICKY_SLOTS = [
    (SUNDAY, minute(0, 30)),
    (SUNDAY, minute(1, 30)),
    (SUNDAY, minute(2, 30)),
    (SATURDAY, minute(23, 30)),
    (MONDAY, minute(9)),
    (WEDNESDAY, minute(0)),
    (FRIDAY, minute(23, 59)),
]


@pytest.mark.parametrize(("zone_name", "first_day", "last_day"), ZONES_AND_YEARS)
@pytest.mark.parametrize(("weekday", "minute_of_day"), TRICKY_SLOTS)
def test_every_member_gets_exactly_one_prompt_per_local_week_in_gaps_and_folds(
    zone_name: str, first_day: date, last_day: date, weekday: int, minute_of_day: int
) -> None:
    assert_one_slot_per_local_week(zone_name, weekday, minute_of_day, first_day, last_day)


# --- the DST policy, case by case -------------------------------------------------------------

# (zone, local booked day, minute of day, expected UTC instant)
GAP_SLOTS = [
    # Berlin jumps 02:00 -> 03:00 on 29 March 2026: 02:30 is sent at 03:30 CEST.
    ("Europe/Berlin", date(2026, 3, 29), minute(2, 30), utc(2026, 3, 29, 1, 30)),
    ("Europe/Berlin", date(2027, 3, 28), minute(2, 0), utc(2027, 3, 28, 1, 0)),
    # New York jumps 02:00 -> 03:00 on 8 March 2026: 02:30 is sent at 03:30 EDT.
    ("America/New_York", date(2026, 3, 8), minute(2, 30), utc(2026, 3, 8, 7, 30)),
    # Sydney jumps 02:00 -> 03:00 on 4 October 2026: 02:30 is sent at 03:30 AEDT.
    ("Australia/Sydney", date(2026, 10, 4), minute(2, 30), utc(2026, 10, 3, 16, 30)),
    # Sao Paulo jumped 00:00 -> 01:00 on 4 November 2018: 00:30 was sent at 01:30 -02.
    ("America/Sao_Paulo", date(2018, 11, 4), minute(0, 30), utc(2018, 11, 4, 3, 30)),
]


@pytest.mark.parametrize(("zone_name", "day", "minute_of_day", "expected"), GAP_SLOTS)
def test_a_slot_that_does_not_exist_on_the_spring_forward_day_is_sent_one_hour_later(
    zone_name: str, day: date, minute_of_day: int, expected: datetime
) -> None:
    zone = ZoneInfo(zone_name)
    the_day_before = datetime.combine(day - timedelta(days=1), datetime.min.time(), zone)

    slot = next_slot_after(the_day_before, zone_name, day.weekday(), minute_of_day)

    assert not wall_time_exists(day, minute_of_day, zone)
    assert slot == expected
    assert slot.astimezone(zone).date() == day
    wall = slot.astimezone(zone)
    assert wall.hour * 60 + wall.minute == minute_of_day + 60


# (zone, local booked day, minute of day, first occurrence, second occurrence)
FOLD_SLOTS = [
    ("Europe/Berlin", date(2026, 10, 25), minute(2, 30), utc(2026, 10, 25, 0, 30)),
    ("America/New_York", date(2026, 11, 1), minute(1, 30), utc(2026, 11, 1, 5, 30)),
    ("Australia/Sydney", date(2026, 4, 5), minute(2, 30), utc(2026, 4, 4, 15, 30)),
    # Sao Paulo fell back from midnight to 23:00 on Saturday 17 February 2018.
    ("America/Sao_Paulo", date(2018, 2, 17), minute(23, 30), utc(2018, 2, 18, 1, 30)),
]


@pytest.mark.parametrize(("zone_name", "day", "minute_of_day", "first"), FOLD_SLOTS)
def test_a_slot_in_the_hour_that_happens_twice_is_sent_once_at_its_first_occurrence(
    zone_name: str, day: date, minute_of_day: int, first: datetime
) -> None:
    zone = ZoneInfo(zone_name)
    the_day_before = datetime.combine(day - timedelta(days=1), datetime.min.time(), zone)
    weekday = day.weekday()

    slot = next_slot_after(the_day_before, zone, weekday, minute_of_day)
    # Asked again between the two occurrences, the bot moves on to next week.
    after_first = next_slot_after(first + timedelta(minutes=1), zone, weekday, minute_of_day)

    assert slot == first
    second = first + timedelta(hours=1)
    assert second.astimezone(zone).replace(tzinfo=None) == first.astimezone(zone).replace(
        tzinfo=None
    )
    assert after_first > second
    assert booked_day(after_first, zone, weekday) == day + timedelta(days=7)


def test_sao_paulo_members_keep_their_utc_time_all_year_since_brazil_dropped_dst() -> None:
    slots = assert_one_slot_per_local_week(
        "America/Sao_Paulo", SUNDAY, minute(0, 30), date(2026, 1, 1), date(2027, 12, 31)
    )
    assert {(slot.hour, slot.minute) for slot in slots} == {(3, 30)}


def test_a_kathmandu_member_is_prompted_at_a_quarter_past_in_utc() -> None:
    slot = next_slot_after(utc(2026, 6, 1), "Asia/Kathmandu", MONDAY, minute(9))
    assert slot == utc(2026, 6, 1, 3, 15)  # UTC+05:45


def test_a_samoan_friday_prompt_on_the_day_samoa_skipped_is_sent_on_saturday_not_dropped() -> None:
    # Samoa went from 29 December 2011 straight to 31 December 2011 (UTC-10 -> UTC+14).
    just_after_the_jump = utc(2011, 12, 30, 10, 30)  # 31 Dec 00:30 local

    slot = next_slot_after(just_after_the_jump, "Pacific/Apia", FRIDAY, minute(9))

    assert slot == utc(2011, 12, 30, 19)  # Saturday 31 Dec 09:00 local
    assert slot.astimezone(ZoneInfo("Pacific/Apia")).date() == date(2011, 12, 31)


# --- basics and catch-up ---------------------------------------------------------------------


def test_the_next_slot_is_strictly_later_even_when_now_is_exactly_a_slot() -> None:
    monday_nine = utc(2026, 6, 1, 7)  # 09:00 CEST
    assert next_slot_after(monday_nine, "Europe/Berlin", MONDAY, minute(9)) == utc(2026, 6, 8, 7)
    just_before = monday_nine - timedelta(seconds=1)
    assert next_slot_after(just_before, "Europe/Berlin", MONDAY, minute(9)) == monday_nine


def test_now_may_be_given_in_any_time_zone() -> None:
    in_tokyo = datetime(2026, 6, 1, 15, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 06:00 UTC
    in_utc = in_tokyo.astimezone(UTC)
    zone = ZoneInfo("Europe/Berlin")
    assert next_slot_after(in_tokyo, zone, MONDAY, minute(9)) == next_slot_after(
        in_utc, zone, MONDAY, minute(9)
    )


@pytest.mark.parametrize(
    ("weekday", "minute_of_day"), [(-1, 0), (7, 0), (0, -1), (0, MINUTES_PER_DAY)]
)
def test_an_impossible_slot_is_refused(weekday: int, minute_of_day: int) -> None:
    with pytest.raises(ValueError):
        next_slot_after(utc(2026, 1, 1), "Europe/Berlin", weekday, minute_of_day)


def test_a_naive_now_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_slot_after(datetime(2026, 1, 1), "Europe/Berlin", MONDAY, minute(9))


def test_a_bot_down_for_five_weeks_schedules_the_next_prompt_after_now_not_five() -> None:
    zone = "Europe/Berlin"
    last_due = utc(2026, 3, 2, 8)  # Monday 2 March, 09:00 CET: missed
    back_up = utc(2026, 4, 8, 12)  # Wednesday, five Mondays later
    missed = weekly_series(ZoneInfo(zone), MONDAY, minute(9), last_due, back_up)
    assert len(missed) == 5  # the flood we must not send

    following = catch_up_slot(last_due, back_up, zone, MONDAY, minute(9))

    assert following == utc(2026, 4, 13, 7)  # next Monday, 09:00 CEST
    assert following > back_up


def test_a_dispatcher_running_early_never_books_the_same_slot_twice() -> None:
    due = utc(2026, 6, 1, 7)
    a_little_early = due - timedelta(seconds=5)
    following = catch_up_slot(due, a_little_early, "Europe/Berlin", MONDAY, minute(9))
    assert following == due + timedelta(weeks=1)


# --- properties ------------------------------------------------------------------------------

PROPERTY_ZONES = st.sampled_from(
    [
        "Europe/Berlin",
        "Australia/Sydney",
        "America/Sao_Paulo",
        "America/New_York",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",  # DST shift of 30 minutes
        "America/Santiago",
        "Pacific/Apia",
        "UTC",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
    ),
    zone_name=st.one_of(PROPERTY_ZONES, st.timezones().map(str)),
    weekday=st.integers(0, 6),
    minute_of_day=st.integers(0, MINUTES_PER_DAY - 1),
)
def test_any_member_anywhere_gets_the_first_slot_after_now_and_then_one_a_week(
    now: datetime, zone_name: str, weekday: int, minute_of_day: int
) -> None:
    zone = ZoneInfo(zone_name)

    slot = next_slot_after(now, zone, weekday, minute_of_day)
    following = next_slot_after(slot, zone, weekday, minute_of_day)

    assert slot.tzinfo is UTC
    assert now < slot < following
    day = booked_day(slot, zone, weekday)
    assert slot == slot_on(day, zone, minute_of_day)
    assert slot_on(day - timedelta(days=7), zone, minute_of_day) <= now  # nothing skipped
    assert booked_day(following, zone, weekday) == day + timedelta(days=7)
    assert_shows_booked_time_unless_in_a_gap(slot, zone, weekday, minute_of_day)


# --- parsing ---------------------------------------------------------------------------------

WEEKDAY_WORDS = {
    MONDAY: ["mon", "monday", "mo", "montag"],
    TUESDAY: ["tue", "tues", "tuesday", "di", "dienstag"],
    WEDNESDAY: ["wed", "wednesday", "mi", "mittwoch"],
    THURSDAY: ["thu", "thur", "thurs", "thursday", "do", "donnerstag"],
    FRIDAY: ["fri", "friday", "fr", "freitag"],
    SATURDAY: ["sat", "saturday", "sa", "samstag", "sonnabend"],
    SUNDAY: ["sun", "sunday", "so", "sonntag"],
}


@pytest.mark.parametrize(
    ("word", "weekday"),
    [(word, day) for day, words in WEEKDAY_WORDS.items() for word in words],
)
def test_members_can_name_a_weekday_in_german_or_english_any_way_they_like(
    word: str, weekday: int
) -> None:
    for spelling in (word, word.upper(), word.capitalize(), f"  {word.capitalize()}. "):
        assert parse_weekday(spelling) == weekday, spelling


@pytest.mark.parametrize("text", ["", " ", "m", "t", "montags", "mo mo", "mon..", "7", "heute"])
def test_a_weekday_that_is_not_one_is_not_guessed(text: str) -> None:
    assert parse_weekday(text) is None


def test_weekday_names_follow_python_numbering_from_monday() -> None:
    assert WEEKDAYS[0] == "monday"
    assert WEEKDAYS[6] == "sunday"
    assert [parse_weekday(name) for name in WEEKDAYS] == list(range(7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", minute(9)),
        ("09", minute(9)),
        ("0", 0),
        ("9:00", minute(9)),
        ("09:05", minute(9, 5)),
        ("9.30", minute(9, 30)),
        ("9h30", minute(9, 30)),
        ("9 Uhr", minute(9)),
        ("9:30 Uhr", minute(9, 30)),
        ("18:30 UHR", minute(18, 30)),
        ("21h", minute(21)),
        ("9am", minute(9)),
        ("9 AM", minute(9)),
        ("9:15 pm", minute(21, 15)),
        ("9:15 p.m.", minute(21, 15)),
        ("12am", 0),
        ("12:30am", 30),
        ("12pm", minute(12)),
        ("23:59", minute(23, 59)),
        ("  7:45  ", minute(7, 45)),
    ],
)
def test_members_can_type_a_time_of_day_the_way_they_say_it(text: str, expected: int) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "24:00",
        "25",
        "7:60",
        "-1",
        "-7:00",
        "9:5",
        "9:000",
        "9:00:00",
        "13pm",
        "0am",
        "100",
        "",
        "Uhr",
        "noon",
        "nine",
        "9 uhr uhr",
        "\N{FULLWIDTH DIGIT NINE}",
    ],
)
def test_a_time_that_does_not_exist_is_refused(text: str) -> None:
    assert parse_time_of_day(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/schedule mon 09:00", (MONDAY, minute(9))),
        ("/schedule Dienstag 18:30", (TUESDAY, minute(18, 30))),
        ("/schedule@netcoach_bot Fr 7", (FRIDAY, minute(7))),
        ("09:00 mon", (MONDAY, minute(9))),
        ("Mo. 9 Uhr", (MONDAY, minute(9))),
        ("am Montag um 9 Uhr", (MONDAY, minute(9))),
        ("every friday at 5:30 pm", (FRIDAY, minute(17, 30))),
        ("12 am sun", (SUNDAY, 0)),
        ("Sa, 10:15", (SATURDAY, minute(10, 15))),
    ],
)
def test_a_member_can_set_their_weekly_slot_in_one_line(
    text: str, expected: tuple[int, int]
) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(
    "text", ["/schedule", "/schedule mon", "/schedule 9:00", "mon tue", "mon 24:00", "9 10", ""]
)
def test_an_incomplete_schedule_is_refused(text: str) -> None:
    assert parse_schedule(text) is None


def test_every_minute_of_the_day_formats_and_reads_back() -> None:
    assert format_minute_of_day(minute(9, 5)) == "09:05"
    assert format_minute_of_day(0) == "00:00"
    assert format_minute_of_day(MINUTES_PER_DAY - 1) == "23:59"
    for minute_of_day in range(MINUTES_PER_DAY):
        assert parse_time_of_day(format_minute_of_day(minute_of_day)) == minute_of_day


@pytest.mark.parametrize("minute_of_day", [-1, MINUTES_PER_DAY])
def test_an_impossible_minute_is_not_formatted(minute_of_day: int) -> None:
    with pytest.raises(ValueError):
        format_minute_of_day(minute_of_day)
