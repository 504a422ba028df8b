"""Screens for onboarding and settings: questions, confirmations, refusals, the overview."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.members import Member
from bot.domain.onboarding import FlowOutcome, Problem, Step
from bot.domain.places import ZoneMatch
from bot.domain.schedule import format_minute_of_day
from bot.screens.base import Button, ReplyButton, Screen
from bot.screens.callbacks import encode
from bot.screens.cancelling import cancel_row
from bot.screens.limits import limit_screen
from bot.screens.review import REVIEW_PLACEMENT
from content.i18n import (
    LANGUAGES,
    Markup,
    catalog,
    format_local_datetime,
    format_local_time,
    weekday_name,
)
from storage.models import ReviewPlacement

__all__ = [
    "CHANGE",
    "LANGUAGE",
    "TIME",
    "TIMEZONE",
    "WEEKDAY",
    "missing_setup_screen",
    "render_outcome",
    "settings_overview",
]

LANGUAGE = "lang"
TIMEZONE = "tz"
WEEKDAY = "wd"
TIME = "tm"
CHANGE = "set"

_TIME_CHOICES = ((7, 8, 9, 12), (17, 18, 19, 20))
_CITY_CHOICES = {"de": ("Berlin", "Wien", "Zürich"), "en": ("London", "New York", "Berlin")}


def _schedule_line(member: Member) -> str:
    t = catalog(member.language)
    if member.slot_weekday is None or member.slot_minute is None:
        return str(t("settings.schedule_unset"))
    return str(
        t(
            "settings.schedule_value",
            weekday=weekday_name(member.slot_weekday, member.language),
            time=format_minute_of_day(member.slot_minute),
        )
    )


def missing_setup_screen(member: Member) -> Screen:
    """What is still missing before this works (the zone, or day and time), with its button."""
    t = catalog(member.language)
    if member.timezone is None:
        button = Button(t("button.change_timezone"), encode(CHANGE, Step.TIMEZONE))
        return Screen(t("setup.missing_timezone"), buttons=((button,),))
    if member.slot_weekday is None or member.slot_minute is None:
        button = Button(t("button.change_schedule"), encode(CHANGE, Step.WEEKDAY))
        return Screen(t("setup.missing_schedule"), buttons=((button,),))
    return Screen(t("setup.missing_start"))


def settings_overview(member: Member, now: datetime, *, greeting: str | None = None) -> Screen:
    """The member's settings with a button to change each."""
    t = catalog(member.language)
    zone = member.timezone
    zone_line = (
        t("settings.timezone_value", zone=zone, now=format_local_time(now, zone, member.language))
        if zone
        else t("settings.timezone_unset")
    )
    lines: list[str | None] = [t(greeting) if greeting else None, t("settings.title")]
    lines += [
        t("settings.language_value", language=t(f"language.{member.language}")),
        zone_line,
        _schedule_line(member),
    ]
    if member.next_prompt_at is not None and zone:
        when = format_local_datetime(member.next_prompt_at, zone, member.language, now=now)
        lines.append(t("settings.next_prompt", when=when))
    elif member.status == "paused":
        lines.append(t("settings.paused"))
    lines.append(t(f"settings.review_{member.review_placement.value}"))
    other = (
        ReviewPlacement.INLINE
        if member.review_placement is ReviewPlacement.SEPARATE
        else ReviewPlacement.SEPARATE
    )
    buttons = (
        (
            Button(t("button.change_language"), encode(CHANGE, Step.LANGUAGE)),
            Button(t("button.change_timezone"), encode(CHANGE, Step.TIMEZONE)),
        ),
        (Button(t("button.change_schedule"), encode(CHANGE, Step.WEEKDAY)),),
        (Button(t(f"button.review_{other.value}"), encode(REVIEW_PLACEMENT, other.value)),),
    )
    return Screen("\n".join(line for line in lines if line), buttons=buttons)


def question(step: Step, member: Member, pending_weekday: int | None = None) -> Screen:
    """Ask for one setting, with buttons for the usual answers."""
    t = catalog(member.language)
    if step is Step.LANGUAGE:
        row = tuple(Button(t(f"language.{code}"), encode(LANGUAGE, code)) for code in LANGUAGES)
        return Screen(t("ask.language"), buttons=(row, cancel_row(member.language)))
    if step is Step.TIMEZONE:
        cities = _CITY_CHOICES.get(member.language, _CITY_CHOICES["en"])
        return Screen(
            t("ask.timezone"),
            reply_buttons=(
                (ReplyButton(t("button.share_location"), request_location=True),),
                tuple(ReplyButton(city) for city in cities),
            ),
        )
    if step is Step.WEEKDAY:
        days = [
            Button(weekday_name(day, member.language, "abbreviated"), encode(WEEKDAY, day))
            for day in range(7)
        ]
        return Screen(
            t("ask.weekday"),
            buttons=(tuple(days[:4]), tuple(days[4:]), cancel_row(member.language)),
        )
    weekday = pending_weekday if pending_weekday is not None else member.slot_weekday
    day = weekday_name(weekday, member.language) if weekday is not None else ""
    rows = tuple(
        tuple(Button(f"{hour:02d}:00", encode(TIME, hour * 60)) for hour in row)
        for row in _TIME_CHOICES
    )
    return Screen(t("ask.time", weekday=day), buttons=(*rows, cancel_row(member.language)))


def _zone_choices(member: Member, matches: tuple[ZoneMatch, ...], *, in_flow: bool) -> Screen:
    """The places to choose from; ✖ when a flow (set-up, settings) waits for the answer."""
    t = catalog(member.language)
    rows: tuple[tuple[Button, ...], ...] = tuple(
        (Button(match.label, encode(TIMEZONE, match.zone)),) for match in matches
    )
    if in_flow:
        rows = (*rows, cancel_row(member.language))
    key = "ask.timezone_which" if len(matches) > 1 else "ask.timezone_confirm"
    return Screen(t(key), buttons=rows)


def _refusal(problem: Problem, member: Member) -> Screen:
    return Screen(catalog(member.language)(f"problem.{problem}"))


def _timezone_confirmation(member: Member, now: datetime) -> Screen:
    t = catalog(member.language)
    zone = member.timezone or "UTC"
    local = format_local_time(now, zone, member.language)
    return Screen(t("done.timezone", zone=zone, now=local), remove_reply_keyboard=True)


def _onboarding_done(member: Member, now: datetime) -> Screen:
    t = catalog(member.language)
    slot = {
        "weekday": weekday_name(member.slot_weekday or 0, member.language),
        "time": format_minute_of_day(member.slot_minute or 0),
    }
    if member.next_prompt_at is not None and member.timezone:
        when = format_local_datetime(
            member.next_prompt_at, member.timezone, member.language, now=now
        )
        return Screen(t("done.onboarding_next", when=when, **slot))
    return Screen(t("done.onboarding", **slot))


def render_outcome(outcome: FlowOutcome, now: datetime, first_name: str = "") -> list[Screen]:
    """Everything to send after one onboarding or settings step, in order."""
    member = outcome.member
    t = catalog(member.language)
    if outcome.problem is not None:
        refusal = (
            limit_screen(member.language, outcome.limit)
            if outcome.limit is not None
            else Screen(t(f"problem.{outcome.problem}"))
        )
        if outcome.ask is None:
            return [refusal]
        # One message: why the answer was not taken, the question again and its buttons.
        asked = question(outcome.ask, member, outcome.pending_weekday)
        return [replace(asked, text=Markup(refusal.text + "\n\n" + asked.text))]
    if outcome.zone_choices:
        return [_zone_choices(member, outcome.zone_choices, in_flow=outcome.flow is not None)]
    screens = []
    if outcome.is_new:
        screens.append(Screen(t("welcome.new", name=first_name or t("welcome.no_name"))))
    elif outcome.resumed:
        screens.append(Screen(t("welcome.continue")))
    if outcome.changed is Step.TIMEZONE:
        screens.append(_timezone_confirmation(member, now))
    if outcome.finished_onboarding:
        screens.append(_onboarding_done(member, now))
    elif outcome.ask is not None:
        screens.append(question(outcome.ask, member, outcome.pending_weekday))
    elif outcome.changed is not None:
        screens.append(settings_overview(member, now, greeting="done.saved"))
    if not screens:
        screens.append(settings_overview(member, now, greeting="welcome.back"))
    return screens
