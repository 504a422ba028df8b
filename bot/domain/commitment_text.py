"""Reading a one-line contact-care commitment: who, what, and by when.

`/commit Anna anrufen bis Freitag` gives contact "Anna", action "Anna anrufen" and a due
moment on Friday at the member's weekly slot time, in the member's zone. German and English
are read alike (people mix them); the member's language only decides which one dateparser
tries first.

How the due words are found: a closed grammar of our own (below) locates the phrase inside
the sentence. `dateparser.search.search_dates` is not used for that because it reads
ordinary words as dates ("Kaffee mit Jana" -> "mit" = Mittwoch). dateparser still reads
what it is good at: dates with month names ("15. Dezember", "Dec. 15", "3rd of January"),
and, in `parse_due`, any other answer our grammar does not know ("nächsten Monat").

Rules of the reading:

* A date without a time of day means the member's slot time (`default_minute_of_day`) on
  that day. If that day is today and the slot time has passed, it means the end of today.
* A bare weekday, and "next/nächsten/this/diesen Friday", is the next such day strictly
  after today: on a Friday, "Freitag" means the Friday a week later.
* "nächste Woche"/"next week" is Monday of next week; "nächste Woche Dienstag", "Dienstag
  nächster Woche", "next week Tuesday" are that week's Tuesday (one date, not two);
  "Ende der Woche"/"end of the week" is this week's Friday (next week's on a weekend).
* The words that gave the date are cut out of the action ("Ben treffen"); two competing
  dates stay in it, since they may be what the commitment is about.
* "in 2 Tagen" (days, weeks, months) keeps the current wall-clock time, also across a DST
  change; "in 2 Stunden" (hours, minutes) is that much real time later.
* "heute Abend"/"tonight" is 19:00; morning 08:00, noon 12:00, afternoon 15:00, night 21:00.
* A time alone ("um 15 Uhr", "at 3pm") is its next occurrence, today or tomorrow.
* A day and month without a year ("1.12.") is their next occurrence, unless they passed
  less than `_JUST_PAST` ago: then they read as just past (PAST), never as next year.
* Problems: nothing found -> MISSING; a moment that is not after `now` -> PAST (due_at is
  still given); a bare number ("bis 15"), a date like 3/4 that reads two ways, or two
  competing dates without one marked as the deadline ("bis", "by") -> AMBIGUOUS.

Bounded work: only the first `MAX_READ_LENGTH` characters are read (callers refuse longer
text before), and a line with more than `MAX_PHRASES` dates is AMBIGUOUS without reading
any of them, so no input makes dateparser run more than a few times.

Who the commitment is about is read by `bot.domain.contact_names.find_contact`.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache
from itertools import islice
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.domain.contact_names import find_contact
from bot.domain.durations import parse_duration
from bot.domain.schedule import parse_time_of_day, parse_weekday, slot_on

__all__ = [
    "MAX_PHRASES",
    "MAX_READ_LENGTH",
    "QUICK_DUE_CHOICES",
    "DueProblem",
    "ParsedCommitment",
    "parse_commitment",
    "parse_due",
    "quick_due",
]

QUICK_DUE_CHOICES: Final = ("tomorrow", "in3days", "nextweek")
"""Button choices understood by `quick_due`."""

END_OF_DAY_MINUTE: Final = 23 * 60 + 59
MAX_READ_LENGTH: Final = 300
"""Characters read of any text; the rest is ignored (the domain refuses longer text)."""
MAX_PHRASES: Final = 6
"""More date phrases than this in one line are no single deadline."""
# A day and month without a year that passed less than this ago reads as "just past".
_JUST_PAST: Final = timedelta(days=45)
# How far before a date its lead ("bis spätestens zum", "no later than") may start.
_LEAD_REACH: Final = 40


class DueProblem(StrEnum):
    """Why a commitment has no usable due moment."""

    MISSING = "missing"
    PAST = "past"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class ParsedCommitment:
    """A commitment as read from one line of text."""

    contact: str | None
    action: str
    due_at: datetime | None
    due_phrase: str | None
    problem: DueProblem | None
    had_time: bool


# --- the due-phrase grammar -------------------------------------------------------------

_DAYPART_MINUTES: Final[dict[str, int]] = {
    "früh": 8 * 60, "morgens": 8 * 60, "morgen": 8 * 60, "morning": 8 * 60,
    "vormittag": 10 * 60, "vormittags": 10 * 60,
    "mittag": 12 * 60, "mittags": 12 * 60, "noon": 12 * 60, "midday": 12 * 60,
    "nachmittag": 15 * 60, "nachmittags": 15 * 60, "afternoon": 15 * 60,
    "abend": 19 * 60, "abends": 19 * 60, "evening": 19 * 60, "tonight": 19 * 60,
    "nacht": 21 * 60, "nachts": 21 * 60, "night": 21 * 60,
}  # fmt: skip
_RELATIVE_DAYS: Final[dict[str, int]] = {
    "vorgestern": -2, "day before yesterday": -2, "gestern": -1, "yesterday": -1,
    "heute": 0, "today": 0, "tonight": 0, "morgen": 1, "tomorrow": 1,
    "übermorgen": 2, "uebermorgen": 2, "day after tomorrow": 2,
}  # fmt: skip
_NUMBER_WORDS: Final[dict[str, int]] = {
    "ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "a": 1, "an": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "zehn": 10, "ten": 10,
}  # fmt: skip


def _alternatives(words: Iterable[str]) -> str:
    # Longest first, so "übermorgen" is tried before "morgen" and "abends" before "abend".
    escaped = (re.escape(word).replace(r"\ ", r"\s+") for word in words)
    return "|".join(sorted(escaped, key=len, reverse=True))


_WEEKDAY = (
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag"
    "|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_MONTH = (
    r"(?:januar|jänner|january|februar|february|märz|maerz|march|april|mai|may|juni|june"
    r"|juli|july|august|september|oktober|october|november|dezember|december"
    r"|jan|feb|mär|mar|apr|jun|jul|aug|sept|sep|okt|oct|nov|dez|dec)\b\.?"
)
# "nächste Woche", "Dienstag nächster Woche", "the week after next".
_WEEK = (
    r"(?:übernächste[nr]?|nächste[nr]?|kommende[nr]?)\s+woche"
    r"|(?:the\s+)?week\s+after\s+next|next\s+week"
)
_UNIT = (
    "minuten|minutes|minute|mins|min|stunden|stunde|std|hours|hour|hrs|hr"
    "|tagen|tage|tag|days|day|wochen|woche|weeks|week|monaten|monate|monat|months|month"
)


@cache
def _date_core() -> re.Pattern[str]:
    # Compiled on first use: this one pattern cost ~40 ms of every start-up.
    return re.compile(
        rf"""(?<![\w@])(?:
          (?P<monthname>\d{{1,2}}(?:\.|st|nd|rd|th)?\s*(?:of\s+)?{_MONTH}(?:\s*\d{{4}}(?!\d))?
            |{_MONTH}\s*\d{{1,2}}(?:st|nd|rd|th)?(?!\d)(?:,?\s*\d{{4}}(?!\d))?)
         |(?<![\d.])(?P<num_d>\d{{1,2}})\.\s?(?P<num_m>\d{{1,2}})\.(?P<num_y>\d{{4}}|\d{{2}})?(?!\d)
         |(?P<iso_y>\d{{4}})-(?P<iso_m>\d{{1,2}})-(?P<iso_d>\d{{1,2}})(?!\d)
         |(?<![\d/])(?P<sl_a>\d{{1,2}})/(?P<sl_b>\d{{1,2}})(?:/(?P<sl_y>\d{{4}}|\d{{2}}))?(?![\d/])
         |in\s+(?P<half_hour>einer\s+halben\s+stunde|half\s+an\s+hour)
         |in\s+(?:(?P<off_n>\d{{1,3}})\s*|(?P<off_w>{_alternatives(_NUMBER_WORDS)})\s+)
            (?P<off_unit>{_UNIT})
         |(?P<wd_of_week>{_WEEKDAY})\s*,?\s+(?:in\s+der\s+)?(?P<week_of_wd>{_WEEK})
         |(?P<week_of_day>{_WEEK})\s*,?\s+(?:am\s+|on\s+)?(?P<day_of_week>{_WEEKDAY})
         |(?P<eow>ende\s+(?:der\s+|dieser\s+)?(?:nächsten\s+|nächster\s+|kommenden\s+)?woche
            |end\s+of\s+(?:the\s+|this\s+|next\s+)?week)
         |(?P<week>{_WEEK})
         |(?:(?P<qual>übernächsten|übernächster|übernächste|nächsten|nächster|nächste
              |kommenden|kommender|kommende|diesen|dieser|diese|this|next|coming)\s+)?
            (?P<weekday>{_WEEKDAY})(?:\s*(?P<wdpart>{_alternatives(_DAYPART_MINUTES)}))?
         |(?:the\s+)?(?P<relday>{_alternatives(_RELATIVE_DAYS)})
            (?:\s+(?P<relpart>{_alternatives(_DAYPART_MINUTES)}))?
        )(?!\w)""",
        re.IGNORECASE | re.VERBOSE,
    )


# "9", "9:30", "9.30", "10 Uhr", "18h", "10am", "6 p.m.", optionally led by "um"/"at"/"bis"….
_TIME = re.compile(
    r"(?:\b(?P<tlead>um|at|gegen|around|bis|by|until|till)\s+)?"
    r"(?<![\w.:/])(?P<clock>\d{1,2}(?:[:.]\d{2})?(?:\s*(?:uhr|h|am|pm)\b|\s*[ap]\.m\.)?)"
    r"(?![\w:/]|\.\d)",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"\b(?:(?P<deadline>bis(?:\s+spätestens)?(?:\s+(?:zum|zur|am))?|spätestens(?:\s+am)?"
    r"|by(?:\s+the)?|until|till|no\s+later\s+than)|am|on(?:\s+the)?|zum)\s+$",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(
    r"(?:\b(?P<lead>bis(?:\s+zum)?|by(?:\s+the)?|until|till|am|on(?:\s+the)?|zum)\s+)?"
    r"(?<![\w.:/])\d{1,2}(?:[./]\d{1,2})?\.?(?![\w:/]|\.\d)",
    re.IGNORECASE,
)
_COMMAND = re.compile(r"^/\w+(?:@\w+)?\s*")
_GAP_AFTER_DATE = re.compile(r"[\s,]*")
_DEADLINE_TIME_LEADS = frozenset({"bis", "by", "until", "till"})


@dataclass(frozen=True)
class _Phrase:
    """One due phrase found in the text: where it is, its date words and clock time."""

    spans: tuple[tuple[int, int], ...]
    core: re.Match[str] | None
    clock: re.Match[str] | None
    deadline: bool


@dataclass(frozen=True)
class _Reading:
    """What a date core means: a local day (maybe with a time) or an exact instant."""

    day: date | None = None
    minute: int | None = None
    instant: datetime | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class _Due:
    """The outcome for one text: the moment (or problem) and the spans it came from."""

    spans: tuple[tuple[int, int], ...]
    due_at: datetime | None
    problem: DueProblem | None
    had_time: bool


@dataclass(frozen=True)
class _Context:
    """One reading's frame: the instant, the member's zone, languages and slot time."""

    now: datetime
    zone: ZoneInfo
    languages: list[str]
    default_minute: int

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.zone)

    @property
    def today(self) -> date:
        return self.local_now.date()


def _is_strong_clock(match: re.Match[str]) -> bool:
    """Tell whether a time cannot be a plain number: "um 9", "9:30", "9 Uhr", "9am"."""
    clock = match["clock"].casefold()
    # "bis 15" stays a bare number: the 15th or 15:00? "um 15" is a time.
    led = (match["tlead"] or "").casefold() not in ("", *_DEADLINE_TIME_LEADS)
    return led or ":" in clock or clock[-1].isalpha()


def _find_phrases(text: str) -> list[_Phrase] | None:
    """Locate every due phrase: a date core with its lead and clock time, or a time alone.

    None when there are more than `MAX_PHRASES` dates: that many are no single deadline,
    and reading each could cost a dateparser call. (Times cost no such call.)
    """
    cores = list(islice(_date_core().finditer(text), MAX_PHRASES + 1))
    if len(cores) > MAX_PHRASES:
        return None
    clocks = [
        t
        for t in _TIME.finditer(text)
        if not any(t.start() < c.end() and c.start() < t.end() for c in cores)
    ]
    used: set[int] = set()
    phrases: list[_Phrase] = []
    for core in cores:
        start, end = core.span()
        lead = _LEAD.search(text, max(0, start - _LEAD_REACH), start)
        deadline = lead is not None and lead["deadline"] is not None
        if lead is not None:
            start = lead.start()
        clock = None
        for index, candidate in enumerate(clocks):
            if index in used:
                continue
            after = candidate.start() >= end and _GAP_AFTER_DATE.fullmatch(
                text, end, candidate.start()
            )
            before = candidate.end() <= start and not text[candidate.end() : start].strip(" ,")
            tail = text[candidate.end() :].strip(" .,!?;")
            if (after and (_is_strong_clock(candidate) or not tail)) or (
                before and _is_strong_clock(candidate)
            ):
                used.add(index)
                clock = candidate
                start, end = min(start, candidate.start()), max(end, candidate.end())
                deadline = deadline or (candidate["tlead"] or "").casefold() in (
                    _DEADLINE_TIME_LEADS
                )
                break
        phrases.append(_Phrase(((start, end),), core, clock, deadline))
    for index, candidate in enumerate(clocks):
        if index not in used and _is_strong_clock(candidate):
            lead_word = (candidate["tlead"] or "").casefold()
            phrases.append(
                _Phrase((candidate.span(),), None, candidate, lead_word in _DEADLINE_TIME_LEADS)
            )
    return sorted(phrases, key=lambda phrase: phrase.spans[0])


def _next_year_date(ctx: _Context, month: int, day: int) -> date | None:
    """Return the first `day.month.` that is not before today (Feb 29 waits for a leap year).

    A date that passed less than `_JUST_PAST` ago is returned as it is (in the past): the
    member most likely meant it, and is asked again rather than moved into next year.
    """
    for year in range(ctx.today.year, ctx.today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= ctx.today or ctx.today - candidate < _JUST_PAST:
            return candidate
    return None


def _calendar_date(ctx: _Context, year: str | None, month: int, day: int) -> date | None:
    if year is None:
        return _next_year_date(ctx, month, day)
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(full_year, month, day)
    except ValueError:
        return None


def _dateparse(text: str, languages: list[str], settings: dict[str, Any]) -> datetime | None:
    # Imported on first use: dateparser and its regex tables cost ~0.1 s of start-up,
    # and only an answer our own grammar does not know reaches it.
    import dateparser

    return dateparser.parse(text, languages=languages, settings=settings)


def _dateparser_settings(ctx: _Context) -> dict[str, Any]:
    return {
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": ctx.zone.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": ctx.local_now.replace(tzinfo=None),
    }


def _read_month_name(ctx: _Context, words: str) -> date | None:
    """Let dateparser read "15. Dezember", "Dec. 15th"; the year rule stays ours."""
    settings = _dateparser_settings(ctx) | {"REQUIRE_PARTS": ["day", "month"]}
    parsed = _dateparse(words, ctx.languages, settings)
    if parsed is None:
        return None
    has_year = re.search(r"\d{4}", words) is not None
    return _calendar_date(ctx, str(parsed.year) if has_year else None, parsed.month, parsed.day)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _read_offset(ctx: _Context, core: re.Match[str]) -> _Reading | None:
    """Read "in 2 Wochen" (same wall time) or "in 2 hours" (real elapsed time)."""
    if core["half_hour"]:
        return _Reading(instant=ctx.now + timedelta(minutes=30))
    amount = int(core["off_n"]) if core["off_n"] else _NUMBER_WORDS[core["off_w"].casefold()]
    unit = core["off_unit"].casefold()
    local = ctx.local_now
    wall_minute = local.hour * 60 + local.minute
    if unit.startswith(("monat", "month")):
        if not 0 < amount <= 24:
            return None
        return _Reading(day=_add_months(ctx.today, amount), minute=wall_minute)
    duration = parse_duration(f"{amount} {unit}")
    if duration is None:
        return None
    if not unit.startswith(("tag", "day", "woche", "week")):  # "in 48 Stunden" is real time
        return _Reading(instant=ctx.now + duration)
    return _Reading(day=ctx.today + duration, minute=wall_minute)


def _read_core(ctx: _Context, core: re.Match[str]) -> _Reading | None:
    """Turn the date words into a day or an instant; None if they name no real date."""
    today = ctx.today
    if core["monthname"]:
        found = _read_month_name(ctx, core["monthname"])
        return None if found is None else _Reading(day=found)
    if core["num_d"]:
        found = _calendar_date(ctx, core["num_y"], int(core["num_m"]), int(core["num_d"]))
        return None if found is None else _Reading(day=found)
    if core["iso_y"]:
        found = _calendar_date(ctx, core["iso_y"], int(core["iso_m"]), int(core["iso_d"]))
        return None if found is None else _Reading(day=found)
    if core["sl_a"]:
        first, second = int(core["sl_a"]), int(core["sl_b"])
        if first != second and first <= 12 and second <= 12:
            return _Reading(ambiguous=True)  # 3/4: 3 April or March 4?
        day, month = (first, second) if first > 12 else (second, first)
        found = _calendar_date(ctx, core["sl_y"], month, day)
        return None if found is None else _Reading(day=found)
    if core["off_unit"] or core["half_hour"]:
        return _read_offset(ctx, core)
    words = core.group(0).casefold()
    if core["eow"]:
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return _Reading(day=friday + timedelta(weeks=1 if "next" in words or "chst" in words
                                               or "kommend" in words else 0))  # fmt: skip
    week = core["week"] or core["week_of_wd"] or core["week_of_day"]
    if week:
        monday = today - timedelta(days=today.weekday())
        later = 2 if "übernächst" in week.casefold() or "after" in week.casefold() else 1
        day_name = core["wd_of_week"] or core["day_of_week"]
        weekday = parse_weekday(day_name) if day_name else 0
        assert weekday is not None  # the grammar only admits weekday names
        return _Reading(day=monday + timedelta(weeks=later, days=weekday))
    if core["weekday"]:
        weekday = parse_weekday(core["weekday"])
        assert weekday is not None  # the grammar only admits weekday names
        ahead = (weekday - today.weekday()) % 7 or 7
        if "übernächst" in (core["qual"] or "").casefold():
            ahead += 7
        part = core["wdpart"]
        return _Reading(
            day=today + timedelta(days=ahead),
            minute=_DAYPART_MINUTES[part.casefold()] if part else None,
        )
    relday = " ".join(core["relday"].casefold().split())
    part = core["relpart"] or ("tonight" if relday == "tonight" else None)
    return _Reading(
        day=today + timedelta(days=_RELATIVE_DAYS[relday]),
        minute=_DAYPART_MINUTES[part.casefold()] if part else None,
    )


def _clock_minute(clock: re.Match[str], daypart_minute: int | None) -> int | None:
    """Read the clock time; "heute Abend um 8" means 20:00, not 08:00."""
    text = clock["clock"]
    minute = parse_time_of_day(text)
    if minute is None:
        return None
    explicit_am = re.search(r"a\.?m\.?$", text, re.IGNORECASE) is not None
    if daypart_minute is not None and daypart_minute >= 12 * 60 and minute < 12 * 60:
        return minute if explicit_am else minute + 12 * 60
    return minute


def _resolve(ctx: _Context, phrase: _Phrase) -> tuple[datetime, bool] | DueProblem | None:
    """Return (due_at, had_time), AMBIGUOUS, or None when the words name no real moment."""
    reading = _read_core(ctx, phrase.core) if phrase.core is not None else _Reading()
    if reading is None:
        return None
    if reading.ambiguous:
        return DueProblem.AMBIGUOUS
    if reading.instant is not None:
        return reading.instant, True
    minute = reading.minute
    if phrase.clock is not None:
        minute = _clock_minute(phrase.clock, reading.minute)
        if minute is None:
            return None
    if reading.day is None:  # a time alone: its next occurrence
        assert minute is not None
        due = slot_on(ctx.today, ctx.zone, minute)
        return (
            due if due > ctx.now else slot_on(ctx.today + timedelta(days=1), ctx.zone, minute)
        ), True
    if minute is not None:
        return slot_on(reading.day, ctx.zone, minute), True
    due = slot_on(reading.day, ctx.zone, ctx.default_minute)
    if reading.day == ctx.today and due <= ctx.now:
        due = slot_on(reading.day, ctx.zone, END_OF_DAY_MINUTE)
    return due, False


def _find_due(ctx: _Context, text: str) -> _Due:
    """Pick the due phrase of a text and resolve it (see the module rules)."""
    found = _find_phrases(text)
    if found is None:
        return _Due((), None, DueProblem.AMBIGUOUS, False)
    phrases = []
    for phrase in found:
        outcome = _resolve(ctx, phrase)
        if outcome is not None:
            phrases.append((phrase, outcome))
    dated = [(p, o) for p, o in phrases if p.core is not None]
    clocks = [(p, o) for p, o in phrases if p.core is None]
    if len(dated) > 1:
        deadlines = [(p, o) for p, o in dated if p.deadline]
        if len(deadlines) != 1:
            return _Due((), None, DueProblem.AMBIGUOUS, False)
        dated = deadlines
    if dated:
        phrase, outcome = dated[0]
        if len(clocks) == 1 and phrase.clock is None and isinstance(outcome, tuple):
            clock = clocks[0][0]  # "Anna morgen anrufen, um 10": one date, one time
            phrase = _Phrase(phrase.spans + clock.spans, phrase.core, clock.clock, False)
            outcome = _resolve(ctx, phrase) or outcome
    elif len(clocks) == 1:
        phrase, outcome = clocks[0]
    elif clocks:
        return _Due((), None, DueProblem.AMBIGUOUS, False)
    else:
        return _bare_number(text)
    if isinstance(outcome, DueProblem):
        return _Due(phrase.spans, None, outcome, False)
    due_at, had_time = outcome
    problem = DueProblem.PAST if due_at <= ctx.now else None
    return _Due(phrase.spans, due_at, problem, had_time)


def _bare_number(text: str) -> _Due:
    """A number at the end or after "bis"/"by" ("bis 15") could be a day or an hour."""
    tail = text.rstrip(" .,!?;")
    for match in _BARE_NUMBER.finditer(text):
        if match["lead"] is not None or match.end() >= len(tail):
            return _Due((match.span(),), None, DueProblem.AMBIGUOUS, False)
    return _Due((), None, DueProblem.MISSING, False)


# --- public API -------------------------------------------------------------------------


def _context(now: datetime, timezone: str, language: str, default_minute_of_day: int) -> _Context:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= default_minute_of_day <= END_OF_DAY_MINUTE:
        raise ValueError(f"default_minute_of_day out of range: {default_minute_of_day}")
    languages = ["en", "de"] if language == "en" else ["de", "en"]
    return _Context(now.astimezone(UTC), ZoneInfo(timezone), languages, default_minute_of_day)


def _remove_spans(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """Cut the due words out and tidy spaces and dangling punctuation."""
    for start, end in sorted(spans, reverse=True):
        text = f"{text[:start]} {text[end:]}"
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    text = re.sub(r"([,;:])(?=[,;:.!?]|$)", "", text)
    return text.strip(" ,;:-–—")


def parse_commitment(
    text: str, *, now: datetime, timezone: str, language: str, default_minute_of_day: int
) -> ParsedCommitment:
    """Read contact, action and due moment from "/commit Anna anrufen bis Freitag".

    Args:
        text: the member's line, with or without the leading command.
        now: the current instant, timezone-aware.
        timezone: the member's IANA zone; all day words are read in it.
        language: "de" or "en"; tried first, the other one second.
        default_minute_of_day: the member's slot time, used for dates without a time.

    Raises:
        ValueError: if `now` is naive or `default_minute_of_day` is out of range.
    """
    ctx = _context(now, timezone, language, default_minute_of_day)
    body = _COMMAND.sub("", text.strip(), count=1)[:MAX_READ_LENGTH]
    due = _find_due(ctx, body)
    phrase = " ".join(body[start:end] for start, end in sorted(due.spans)) or None
    action = _remove_spans(body, due.spans)
    return ParsedCommitment(
        contact=find_contact(action),
        action=action,
        due_at=due.due_at,
        due_phrase=phrase,
        problem=due.problem,
        had_time=due.had_time,
    )


def parse_due(
    text: str, *, now: datetime, timezone: str, language: str, default_minute_of_day: int
) -> datetime | DueProblem:
    """Read an answer to "by when?" ("Freitag", "in 3 Tagen", "15.12.") as aware UTC.

    Returns the due moment, or the `DueProblem` (MISSING, PAST, AMBIGUOUS). Answers our
    grammar does not know go to dateparser as a whole ("nächsten Monat").
    """
    ctx = _context(now, timezone, language, default_minute_of_day)
    text = text[:MAX_READ_LENGTH]
    due = _find_due(ctx, text)
    if due.problem is None and due.due_at is not None:
        return due.due_at
    if due.problem is not DueProblem.MISSING or len(text.split()) < 2:
        # One word without a digit is where dateparser guesses wildly ("mit" = Wednesday).
        return due.problem or DueProblem.MISSING
    parsed = _dateparse(text, ctx.languages, _dateparser_settings(ctx))
    if parsed is None:
        return DueProblem.MISSING
    if any(_is_strong_clock(match) for match in _TIME.finditer(text)):
        due_at = parsed.astimezone(UTC)
    else:
        due_at = slot_on(parsed.astimezone(ctx.zone).date(), ctx.zone, ctx.default_minute)
    return DueProblem.PAST if due_at <= ctx.now else due_at


def quick_due(choice: str, *, now: datetime, timezone: str, default_minute_of_day: int) -> datetime:
    """Return the due moment for a button: "tomorrow", "in3days" or "nextweek" (Monday).

    Always at the member's slot time on that local day, as aware UTC.

    Raises:
        ValueError: for an unknown choice or a naive `now`.
    """
    ctx = _context(now, timezone, "en", default_minute_of_day)
    today = ctx.today
    days = {"tomorrow": 1, "in3days": 3, "nextweek": 7 - today.weekday()}.get(choice)
    if days is None:
        # The choice comes from callback data a client may forge: it stays out of the message.
        raise ValueError(f"unknown quick due choice; expected one of {QUICK_DUE_CHOICES}")
    return slot_on(today + timedelta(days=days), ctx.zone, default_minute_of_day)
