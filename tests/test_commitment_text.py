"""Reading one-line commitments: who the member will contact, what they will do, by when."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.commitment_text import (
    QUICK_DUE_CHOICES,
    DueProblem,
    ParsedCommitment,
    parse_commitment,
    parse_due,
    quick_due,
)

BERLIN = "Europe/Berlin"
SYDNEY = "Australia/Sydney"
# Thursday 26 November 2026, 11:17 in Berlin. The slot time 08:45 differs from the clock
# time and from every explicit time below, so a test can tell which one was used.
THURSDAY = datetime(2026, 11, 26, 10, 17, tzinfo=UTC)
SLOT = 8 * 60 + 45


def parse(
    text: str,
    language: str = "de",
    *,
    now: datetime = THURSDAY,
    zone: str = BERLIN,
    slot: int = SLOT,
) -> ParsedCommitment:
    return parse_commitment(
        text, now=now, timezone=zone, language=language, default_minute_of_day=slot
    )


def local(moment: datetime | None, zone: str = BERLIN) -> str | None:
    """Show an instant as the member sees it: "Fri 2026-11-27 08:45"."""
    return (
        None if moment is None else moment.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M")
    )


@dataclass(frozen=True)
class Case:
    text: str
    language: str
    contact: str | None
    action: str
    due: str
    due_phrase: str
    had_time: bool


# Every row is read on Thursday 2026-11-26 at 11:17 in Berlin, slot time 08:45.
CASES = {
    "'bis Freitag' on a Thursday is tomorrow at the slot time": Case(
        "/commit Anna anrufen bis Freitag", "de", "Anna", "Anna anrufen",
        "Fri 2026-11-27 08:45", "bis Freitag", False,
    ),
    "'by next Monday 10am' is the coming Monday at ten": Case(
        "/commit call Ben about the flyer by next Monday 10am", "en", "Ben",
        "call Ben about the flyer", "Mon 2026-11-30 10:00", "by next Monday 10am", True,
    ),
    "'in 2 Wochen' keeps the current wall time": Case(
        "/commit Kaffee mit Jana in 2 Wochen", "de", "Jana", "Kaffee mit Jana",
        "Thu 2026-12-10 11:17", "in 2 Wochen", True,
    ),
    "'in 2 hours' is two hours from now": Case(
        "/commit email Tom in 2 hours", "en", "Tom", "email Tom",
        "Thu 2026-11-26 13:17", "in 2 hours", True,
    ),
    "'morgen 9 Uhr' is tomorrow at nine, not at the current time": Case(
        "/commit Einladung an Lea morgen 9 Uhr", "de", "Lea", "Einladung an Lea",
        "Fri 2026-11-27 09:00", "morgen 9 Uhr", True,
    ),
    "'am Freitag' inside the sentence is cut out": Case(
        "Anna am Freitag anrufen", "de", "Anna", "Anna anrufen",
        "Fri 2026-11-27 08:45", "am Freitag", False,
    ),
    "'on Friday' in English": Case(
        "meet Jana on Friday", "en", "Jana", "meet Jana", "Fri 2026-11-27 08:45", "on Friday", False
    ),
    "a bare weekday is the next such day": Case(
        "Ben Freitag anrufen", "de", "Ben", "Ben anrufen", "Fri 2026-11-27 08:45", "Freitag", False
    ),
    "'nächsten Montag' is the coming Monday": Case(
        "Mit Jana nächsten Montag telefonieren", "de", "Jana", "Mit Jana telefonieren",
        "Mon 2026-11-30 08:45", "nächsten Montag", False,
    ),
    "'nächste Woche' is Monday of next week at the slot time": Case(
        "Feedback an Lea nächste Woche", "de", "Lea", "Feedback an Lea",
        "Mon 2026-11-30 08:45", "nächste Woche", False,
    ),
    "'next week' is Monday of next week at the slot time": Case(
        "lunch with Tom next week", "en", "Tom", "lunch with Tom",
        "Mon 2026-11-30 08:45", "next week", False,
    ),
    "'nächste Woche Dienstag' is Tuesday of next week, and the words leave the action": Case(
        "/commit Ben nächste Woche Dienstag treffen", "de", "Ben", "Ben treffen",
        "Tue 2026-12-01 08:45", "nächste Woche Dienstag", False,
    ),
    "'Dienstag nächster Woche um 10' is that Tuesday at ten": Case(
        "Ben Dienstag nächster Woche um 10 anrufen", "de", "Ben", "Ben anrufen",
        "Tue 2026-12-01 10:00", "Dienstag nächster Woche um 10", True,
    ),
    "'übernächste Woche Freitag' is Friday of the week after next": Case(
        "Lea übernächste Woche am Freitag schreiben", "de", "Lea", "Lea schreiben",
        "Fri 2026-12-11 08:45", "übernächste Woche am Freitag", False,
    ),
    "'next week Tuesday' in English": Case(
        "meet Ben next week Tuesday", "en", "Ben", "meet Ben",
        "Tue 2026-12-01 08:45", "next week Tuesday", False,
    ),
    "'Thursday next week' is not today's Thursday nor tomorrow's week": Case(
        "call Anna Thursday next week", "en", "Anna", "call Anna",
        "Thu 2026-12-03 08:45", "Thursday next week", False,
    ),
    "'next Tuesday' leaves 'call Anna'": Case(
        "call Anna next Tuesday", "en", "Anna", "call Anna",
        "Tue 2026-12-01 08:45", "next Tuesday", False,
    ),
    "'in 3 Tagen' is Sunday at the current wall time": Case(
        "Dank an Tom in 3 Tagen", "de", "Tom", "Dank an Tom",
        "Sun 2026-11-29 11:17", "in 3 Tagen", True,
    ),
    "'in 3 days' in English": Case(
        "call Ben in 3 days", "en", "Ben", "call Ben", "Sun 2026-11-29 11:17", "in 3 days", True
    ),
    "'in 2 Stunden' is two hours from now": Case(
        "Tom zurückrufen in 2 Stunden", "de", "Tom", "Tom zurückrufen",
        "Thu 2026-11-26 13:17", "in 2 Stunden", True,
    ),
    "'in 30 Minuten' is half an hour from now": Case(
        "Anna schreiben in 30 Minuten", "de", "Anna", "Anna schreiben",
        "Thu 2026-11-26 11:47", "in 30 Minuten", True,
    ),
    "'morgen' alone is tomorrow at the slot time": Case(
        "Anna anrufen morgen", "de", "Anna", "Anna anrufen", "Fri 2026-11-27 08:45", "morgen", False
    ),
    "'tomorrow' alone is tomorrow at the slot time": Case(
        "call Anna tomorrow", "en", "Anna", "call Anna", "Fri 2026-11-27 08:45", "tomorrow", False
    ),
    "'morgen um 9' in the middle of the sentence": Case(
        "Anna morgen um 9 anrufen", "de", "Anna", "Anna anrufen",
        "Fri 2026-11-27 09:00", "morgen um 9", True,
    ),
    "'tomorrow at 9:30'": Case(
        "call Anna tomorrow at 9:30", "en", "Anna", "call Anna",
        "Fri 2026-11-27 09:30", "tomorrow at 9:30", True,
    ),
    "'übermorgen 14:30' is Saturday afternoon": Case(
        "Treffen mit Jana übermorgen 14:30", "de", "Jana", "Treffen mit Jana",
        "Sat 2026-11-28 14:30", "übermorgen 14:30", True,
    ),
    "'the day after tomorrow' is Saturday at the slot time": Case(
        "coffee with Ben the day after tomorrow", "en", "Ben", "coffee with Ben",
        "Sat 2026-11-28 08:45", "the day after tomorrow", False,
    ),
    "'heute Abend' is seven in the evening": Case(
        "Lea anrufen heute Abend", "de", "Lea", "Lea anrufen",
        "Thu 2026-11-26 19:00", "heute Abend", True,
    ),
    "'tonight' is seven in the evening": Case(
        "call Lea tonight", "en", "Lea", "call Lea", "Thu 2026-11-26 19:00", "tonight", True
    ),
    "'heute Abend um 8' means 20:00": Case(
        "heute Abend um 8 Lea anrufen", "de", "Lea", "Lea anrufen",
        "Thu 2026-11-26 20:00", "heute Abend um 8", True,
    ),
    "'heute 18 Uhr'": Case(
        "Jana schreiben heute 18 Uhr", "de", "Jana", "Jana schreiben",
        "Thu 2026-11-26 18:00", "heute 18 Uhr", True,
    ),
    "'today 6pm'": Case(
        "email Tom today 6pm", "en", "Tom", "email Tom", "Thu 2026-11-26 18:00", "today 6pm", True
    ),
    "'Ende der Woche' is Friday": Case(
        "Anna anrufen Ende der Woche", "de", "Anna", "Anna anrufen",
        "Fri 2026-11-27 08:45", "Ende der Woche", False,
    ),
    "'by the end of the week' is Friday": Case(
        "thank Jana by the end of the week", "en", "Jana", "thank Jana",
        "Fri 2026-11-27 08:45", "by the end of the week", False,
    ),
    "'am 15.12.' without a year is this December": Case(
        "Glückwunsch an Ben am 15.12.", "de", "Ben", "Glückwunsch an Ben",
        "Tue 2026-12-15 08:45", "am 15.12.", False,
    ),
    "'15.12.2026' with a year": Case(
        "Tom treffen 15.12.2026", "de", "Tom", "Tom treffen",
        "Tue 2026-12-15 08:45", "15.12.2026", False,
    ),
    "'on 15 December'": Case(
        "meet Ben on 15 December", "en", "Ben", "meet Ben",
        "Tue 2026-12-15 08:45", "on 15 December", False,
    ),
    "'December 15' after a contact led by 'to'": Case(
        "send the slides to Anna December 15", "en", "Anna", "send the slides to Anna",
        "Tue 2026-12-15 08:45", "December 15", False,
    ),
    "'15. Dezember'": Case(
        "Lea einladen 15. Dezember", "de", "Lea", "Lea einladen",
        "Tue 2026-12-15 08:45", "15. Dezember", False,
    ),
    "'bis zum 3. Januar' rolls into next year": Case(
        "Brief an Anna bis zum 3. Januar", "de", "Anna", "Brief an Anna",
        "Sun 2027-01-03 08:45", "bis zum 3. Januar", False,
    ),
    "an @username is the contact": Case(
        "@anna_k anrufen bis Freitag", "de", "@anna_k", "@anna_k anrufen",
        "Fri 2026-11-27 08:45", "bis Freitag", False,
    ),
    "a time before the date": Case(
        "um 10 Uhr am Freitag Ben anrufen", "de", "Ben", "Ben anrufen",
        "Fri 2026-11-27 10:00", "um 10 Uhr am Freitag", True,
    ),
    "'at 10am on Friday'": Case(
        "call Ben at 10am on Friday", "en", "Ben", "call Ben",
        "Fri 2026-11-27 10:00", "at 10am on Friday", True,
    ),
    "a time alone later today stays today": Case(
        "Anna anrufen um 15 Uhr", "de", "Anna", "Anna anrufen",
        "Thu 2026-11-26 15:00", "um 15 Uhr", True,
    ),
    "a date and a time apart are read together": Case(
        "Anna morgen anrufen, um 10", "de", "Anna", "Anna anrufen",
        "Fri 2026-11-27 10:00", "morgen um 10", True,
    ),
    "'Freitagabend' is Friday at seven": Case(
        "Freitagabend mit Ben essen", "de", "Ben", "mit Ben essen",
        "Fri 2026-11-27 19:00", "Freitagabend", True,
    ),
    "'heute' after the slot time means the end of today": Case(
        "Anna anrufen heute", "de", "Anna", "Anna anrufen", "Thu 2026-11-26 23:59", "heute", False
    ),
    "German words in an English member's text": Case(
        "Anna anrufen bis Freitag", "en", "Anna", "Anna anrufen",
        "Fri 2026-11-27 08:45", "bis Freitag", False,
    ),
    "a surname belongs to the contact": Case(
        "call Anna Schmidt tomorrow", "en", "Anna Schmidt", "call Anna Schmidt",
        "Fri 2026-11-27 08:45", "tomorrow", False,
    ),
    "'in einer halben Stunde'": Case(
        "Anna anrufen in einer halben Stunde", "de", "Anna", "Anna anrufen",
        "Thu 2026-11-26 11:47", "in einer halben Stunde", True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_member_s_commitment_is_read_into_contact_action_and_due(case: Case) -> None:
    parsed = parse(case.text, case.language)

    assert (parsed.contact, parsed.action) == (case.contact, case.action)
    assert local(parsed.due_at) == case.due
    assert parsed.due_phrase == case.due_phrase
    assert parsed.problem is None
    assert parsed.had_time is case.had_time
    assert parsed.due_at is not None and parsed.due_at.tzinfo is UTC


ORDINARY_SENTENCES = {
    "Anna anrufen": ("de", "Anna"),
    "call Ben about the flyer": ("en", "Ben"),
    "Kaffee mit Jana": ("de", "Jana"),
    "Tom für das Mittwochsmeeting danken": ("de", "Tom"),
    "Jan anrufen": ("de", "Jan"),
    "ask Mai about the offer": ("en", "Mai"),
    "Anna wegen Termin anrufen": ("de", "Anna"),
    "Unbedingt Anna anrufen": ("de", "Anna"),
    "Mittagessen mit Morgan": ("de", "Morgan"),
    "Einladung für das Sommerfest verschicken": ("de", None),
    "Kaffee trinken": ("de", None),
}


@pytest.mark.parametrize(("text", "expected"), ORDINARY_SENTENCES.items())
def test_a_sentence_without_a_date_is_missing_one_and_keeps_its_words(
    text: str, expected: tuple[str, str | None]
) -> None:
    language, contact = expected
    parsed = parse(text, language)

    assert parsed.problem is DueProblem.MISSING
    assert (parsed.due_at, parsed.due_phrase, parsed.had_time) == (None, None, False)
    assert parsed.action == text
    assert parsed.contact == contact


# Sentences built from words that look date-ish in one language or the other ("mit" is
# Mittwoch to dateparser, "am" is a.m., "Mai"/"March"/"Jan" are months or names).
_DISTRACTORS = (
    "Anna", "Ben", "Jan", "Mai", "May", "March", "Morgan", "mit", "am", "an", "on", "in", "by",
    "bis", "um", "at", "Kaffee", "Wochenende", "meeting", "Sonntagsbrunch", "flyer",
    "call", "anrufen", "the", "next", "nächste", "Ende", "Abendessen", "über", "Montagsrunde",
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_DISTRACTORS), min_size=1, max_size=7))
def test_date_looking_words_without_a_day_are_never_read_as_a_due_date(words: list[str]) -> None:
    text = " ".join(words)
    parsed = parse(text)

    assert parsed.problem is DueProblem.MISSING
    assert parsed.action == text


PAST_CASES = {
    "'bis gestern' was yesterday at the slot time": (
        "Anna anrufen bis gestern", "Wed 2026-11-25 08:45",
    ),
    "'am 1.1.2020' is years ago": ("Anna anrufen am 1.1.2020", "Wed 2020-01-01 08:45"),
    "'heute 8 Uhr' is earlier today, not silently tomorrow": (
        "Anna anrufen heute 8 Uhr", "Thu 2026-11-26 08:00",
    ),
    "'yesterday' in English": ("call Ben yesterday", "Wed 2026-11-25 08:45"),
}  # fmt: skip


@pytest.mark.parametrize(("text", "due"), PAST_CASES.values(), ids=PAST_CASES.keys())
def test_a_moment_that_has_passed_is_reported_as_past_with_the_moment(text: str, due: str) -> None:
    parsed = parse(text)

    assert parsed.problem is DueProblem.PAST
    assert local(parsed.due_at) == due
    assert parsed.action in ("Anna anrufen", "call Ben")


AMBIGUOUS_CASES = {
    "'bis 15': the 15th or 15:00?": ("Anna anrufen bis 15", "de", "Anna anrufen", "bis 15"),
    "a bare number at the end": ("Anna anrufen 15", "de", "Anna anrufen", "15"),
    "'3/4': 3 April or March 4?": ("call Ben by 3/4", "en", "call Ben", "by 3/4"),
    "'15.12' without the final dot could be 15:12": (
        "Anna anrufen 15.12", "de", "Anna anrufen", "15.12",
    ),
    "an impossible date": ("Anna anrufen am 31.2.", "de", "Anna anrufen", "am 31.2."),
    "two dates and neither is the deadline": (
        "Anna heute anrufen wegen Termin am Freitag", "de",
        "Anna heute anrufen wegen Termin am Freitag", None,
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language", "action", "phrase"), AMBIGUOUS_CASES.values(), ids=AMBIGUOUS_CASES.keys()
)
def test_words_that_could_mean_two_moments_are_ambiguous_not_guessed(
    text: str, language: str, action: str, phrase: str | None
) -> None:
    parsed = parse(text, language)

    assert parsed.problem is DueProblem.AMBIGUOUS
    assert parsed.due_at is None
    assert (parsed.action, parsed.due_phrase) == (action, phrase)


def test_of_two_dates_the_one_marked_as_deadline_wins() -> None:
    parsed = parse("Anna heute anrufen und bis Freitag das Angebot schicken")

    assert parsed.problem is None
    assert parsed.due_phrase == "bis Freitag"
    assert local(parsed.due_at) == "Fri 2026-11-27 08:45"


def test_on_a_friday_freitag_means_next_week_s_friday() -> None:
    friday_noon = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)

    parsed = parse("Anna anrufen Freitag", now=friday_noon)

    assert local(parsed.due_at) == "Fri 2026-12-04 08:45"


def test_on_a_saturday_the_end_of_the_week_is_next_friday() -> None:
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)

    assert (
        local(parse("Anna anrufen Ende der Woche", now=saturday).due_at) == "Fri 2026-12-04 08:45"
    )


def test_in_2_tagen_across_the_spring_dst_change_keeps_the_wall_time() -> None:
    # Friday 2027-03-26 11:17 CET; clocks jump forward on Sunday 2027-03-28 at 02:00.
    friday = datetime(2027, 3, 26, 10, 17, tzinfo=UTC)

    parsed = parse("Anna anrufen in 2 Tagen", now=friday)

    assert local(parsed.due_at) == "Sun 2027-03-28 11:17"
    assert parsed.due_at == datetime(2027, 3, 28, 9, 17, tzinfo=UTC)  # only 47 hours later


def test_in_48_stunden_across_the_dst_change_is_48_real_hours() -> None:
    friday = datetime(2027, 3, 26, 10, 17, tzinfo=UTC)

    parsed = parse("Anna anrufen in 48 Stunden", now=friday)

    assert parsed.due_at == friday + timedelta(hours=48)
    assert local(parsed.due_at) == "Sun 2027-03-28 12:17"


def test_in_sydney_tomorrow_is_the_member_s_tomorrow_not_utc_s() -> None:
    # 20:00 UTC on Thursday is already Friday 07:00 in Sydney (AEDT, UTC+11).
    thursday_evening_utc = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)

    tomorrow = parse("call Ben tomorrow", "en", now=thursday_evening_utc, zone=SYDNEY)
    friday = parse("call Ben Friday", "en", now=thursday_evening_utc, zone=SYDNEY)

    assert local(tomorrow.due_at, SYDNEY) == "Sat 2026-11-28 08:45"
    assert tomorrow.due_at == datetime(2026, 11, 27, 21, 45, tzinfo=UTC)
    assert local(friday.due_at, SYDNEY) == "Fri 2026-12-04 08:45"


def test_in_sydney_in_2_days_across_the_autumn_dst_end_keeps_the_wall_time() -> None:
    # Friday 2 April 2027, 12:00 AEDT; clocks go back on Sunday 4 April at 03:00.
    friday = datetime(2027, 4, 2, 1, 0, tzinfo=UTC)

    parsed = parse("call Ben in 2 days", "en", now=friday, zone=SYDNEY)

    assert local(parsed.due_at, SYDNEY) == "Sun 2027-04-04 12:00"
    assert parsed.due_at == friday + timedelta(hours=49)


def test_a_time_alone_that_has_passed_today_means_tomorrow() -> None:
    assert local(parse("Anna anrufen um 9 Uhr").due_at) == "Fri 2026-11-27 09:00"


DUE_ANSWERS = {
    "Freitag": "Fri 2026-11-27 08:45",
    "in 3 Tagen": "Sun 2026-11-29 11:17",
    "15.12.": "Tue 2026-12-15 08:45",
    "bis Freitag": "Fri 2026-11-27 08:45",
    "next Monday 10am": "Mon 2026-11-30 10:00",
    "nächsten Monat": "Sat 2026-12-26 08:45",  # dateparser reads it; the slot time is ours
    "next month": "Sat 2026-12-26 08:45",
}


@pytest.mark.parametrize(("answer", "due"), DUE_ANSWERS.items())
def test_an_answer_to_by_when_is_read_as_a_due_moment(answer: str, due: str) -> None:
    result = parse_due(
        answer, now=THURSDAY, timezone=BERLIN, language="de", default_minute_of_day=SLOT
    )

    assert isinstance(result, datetime)
    assert local(result) == due


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("gestern", DueProblem.PAST),
        ("am 1.1.2020", DueProblem.PAST),
        ("15", DueProblem.AMBIGUOUS),
        ("3/4", DueProblem.AMBIGUOUS),
        ("keine Ahnung", DueProblem.MISSING),
        ("mit", DueProblem.MISSING),  # dateparser alone would say Wednesday
        ("", DueProblem.MISSING),
    ],
)
def test_an_answer_without_a_usable_moment_names_the_problem(
    answer: str, problem: DueProblem
) -> None:
    result = parse_due(
        answer, now=THURSDAY, timezone=BERLIN, language="de", default_minute_of_day=SLOT
    )

    assert result is problem


@pytest.mark.parametrize(
    ("choice", "due"),
    [
        ("tomorrow", "Fri 2026-11-27 08:45"),
        ("in3days", "Sun 2026-11-29 08:45"),
        ("nextweek", "Mon 2026-11-30 08:45"),
    ],
)
def test_a_quick_due_button_lands_at_the_slot_time(choice: str, due: str) -> None:
    assert choice in QUICK_DUE_CHOICES
    result = quick_due(choice, now=THURSDAY, timezone=BERLIN, default_minute_of_day=SLOT)

    assert local(result) == due


def test_next_week_on_a_sunday_is_the_next_day() -> None:
    sunday = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)

    result = quick_due("nextweek", now=sunday, timezone=BERLIN, default_minute_of_day=SLOT)

    assert local(result) == "Mon 2026-11-30 08:45"


def test_an_unknown_quick_due_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown quick due choice"):
        quick_due("someday", now=THURSDAY, timezone=BERLIN, default_minute_of_day=SLOT)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse("Anna anrufen morgen", now=datetime(2026, 11, 26, 11, 17))


def test_a_parse_after_warm_up_is_far_below_50_ms() -> None:
    texts = [(case.text, case.language) for case in CASES.values()]
    for text, language in texts:  # warm-up: dateparser loads its language data lazily
        parse(text, language)

    started = time.perf_counter()
    for text, language in texts:
        parse(text, language)
    per_parse = (time.perf_counter() - started) / len(texts)

    # Measured about 0.1 ms; the bound is generous so a slow CI machine does not flake.
    assert per_parse < 0.010


def test_an_answer_dateparser_reads_is_counted_from_the_member_s_local_day() -> None:
    # Thursday 20:00 UTC is Friday 27 November in Sydney, so next month is 27 December.
    thursday_evening_utc = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)

    result = parse_due(
        "next month", now=thursday_evening_utc, timezone=SYDNEY, language="en",
        default_minute_of_day=SLOT,
    )  # fmt: skip

    assert isinstance(result, datetime)
    assert local(result, SYDNEY) == "Sun 2026-12-27 08:45"
