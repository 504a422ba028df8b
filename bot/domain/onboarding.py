"""Onboarding and settings changes as one small state machine kept in the database.

A new member is asked, in turn, for language, time zone, weekday and time. The same
steps serve `/settings` when a member changes one value. Every step can also be
answered by a one-line command (`/language en`, `/timezone Berlin`,
`/schedule mon 09:00`). Bad input changes nothing and names the problem.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.limits import Limit, LimitReached, over_text_limit
from bot.domain.members import Identity, Member, member_from_row, reschedule
from bot.domain.places import (
    ZoneMatch,
    abbreviated_zone,
    applies_unasked,
    is_valid_timezone,
    most_likely,
    resolve_timezone,
    timezone_for_location,
)
from bot.domain.runtime import Runtime
from bot.domain.schedule import parse_schedule, parse_time_of_day, parse_weekday
from content.i18n import LANGUAGES, language_for
from storage.conversations import clear_state, get_state, set_state
from storage.deliveries import cancel_prompts_ahead
from storage.models import User, UserStatus
from storage.users import create_user, get_user_by_telegram_id

__all__ = [
    "ONBOARDING",
    "SETTINGS",
    "FlowOutcome",
    "Problem",
    "Step",
    "answer_text",
    "begin_change",
    "choose_language",
    "choose_time",
    "choose_timezone",
    "choose_weekday",
    "load_member",
    "locate",
    "member_language",
    "set_schedule",
    "start",
]

ONBOARDING = "onboarding"
SETTINGS = "settings"


class Step(enum.StrEnum):
    """What the member is being asked for."""

    LANGUAGE = "language"
    TIMEZONE = "timezone"
    WEEKDAY = "weekday"
    TIME = "time"


class Problem(enum.StrEnum):
    """Why an answer was refused."""

    LANGUAGE = "language"
    TIMEZONE = "timezone"
    LOCATION = "location"
    WEEKDAY = "weekday"
    TIME = "time"
    SCHEDULE = "schedule"
    NO_WEEKDAY = "no_weekday"


_ONBOARDING_ORDER = (Step.LANGUAGE, Step.TIMEZONE, Step.WEEKDAY, Step.TIME)


@dataclass(frozen=True, slots=True)
class FlowOutcome:
    """The result of one step, for the handler to render.

    `ask` is the step to ask for next (None when nothing is pending), `problem`
    says why the answer was refused (and then nothing changed; `limit` when it was
    too long to read), `zone_choices` lists places when a name matched several time
    zones.
    """

    member: Member
    ask: Step | None = None
    problem: Problem | None = None
    limit: LimitReached | None = None
    zone_choices: tuple[ZoneMatch, ...] = ()
    is_new: bool = False
    finished_onboarding: bool = False
    changed: Step | None = None
    pending_weekday: int | None = None
    flow: str | None = None
    resumed: bool = False  # `/start` picks up a set-up begun earlier: "welcome back"


async def _member_row(session: AsyncSession, runtime: Runtime, who: Identity) -> tuple[User, bool]:
    user = await get_user_by_telegram_id(session, who.telegram_id)
    if user is not None:
        if user.chat_id != who.chat_id:
            user.chat_id = who.chat_id
        return user, False
    language = language_for(who.language_code, runtime.settings.default_language)
    user = await create_user(
        session,
        telegram_id=who.telegram_id,
        chat_id=who.chat_id,
        language=language,
        now=runtime.clock.now(),
    )
    await set_state(session, user.id, flow=ONBOARDING, step=Step.LANGUAGE, now=runtime.clock.now())
    return user, True


async def load_member(runtime: Runtime, who: Identity) -> Member:
    """The member writing, created (and put at the start of onboarding) if new."""
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        return member_from_row(user)


async def member_language(runtime: Runtime, who: Identity) -> str | None:
    """The language of a known member, without creating one."""
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        return user.language if user is not None else None


async def start(runtime: Runtime, who: Identity, code: str | None = None) -> FlowOutcome:
    """`/start`: greet a new member and ask the first question, or show an old one where they are.

    A member who had blocked the bot and comes back is active again. `code` is what an
    invite link passed on (`t.me/<bot>?start=<code>`): a network of NETCOACH_NETWORKS
    is recorded on a member who has none yet; anything else is ignored.
    """
    async with runtime.sessions.begin() as session:
        user, is_new = await _member_row(session, runtime, who)
        now = runtime.clock.now()
        if user.network is None and code in runtime.settings.networks:
            user.network = code
            user.updated_at = now
        if user.status is UserStatus.BLOCKED:
            user.status = UserStatus.ACTIVE
            user.updated_at = now
            reschedule(user, now)
        state = await get_state(session, user.id)
        if user.onboarded_at is None:
            # Someone who only wrote before (/help, a word) has answered nothing yet:
            # welcomed as new, not back.
            untouched = state is None or state.step == Step.LANGUAGE
            fresh = is_new or (user.timezone is None and untouched)
            if state is None or state.flow != ONBOARDING:
                state = await set_state(
                    session, user.id, flow=ONBOARDING, step=_first_missing(user), now=now
                )
            return FlowOutcome(
                member=member_from_row(user),
                ask=Step(state.step),
                is_new=fresh,
                flow=ONBOARDING,
                pending_weekday=state.data.get("weekday"),
                resumed=not fresh,
            )
        if state is not None:
            await clear_state(session, user.id)
        return FlowOutcome(member=member_from_row(user))


def _first_missing(user: User) -> Step:
    if user.timezone is None:
        return Step.TIMEZONE
    if user.slot_weekday is None or user.slot_minute is None:
        return Step.WEEKDAY
    return Step.LANGUAGE


async def begin_change(runtime: Runtime, who: Identity, step: Step) -> FlowOutcome:
    """Ask for one setting (a `/settings` button, or a command without its argument)."""
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        flow = ONBOARDING if user.onboarded_at is None else SETTINGS
        await set_state(session, user.id, flow=flow, step=step, now=runtime.clock.now())
        return FlowOutcome(member=member_from_row(user), ask=step, flow=flow)


async def _advance(
    session: AsyncSession, runtime: Runtime, user: User, done: Step, *, data: dict[str, Any]
) -> FlowOutcome:
    """Move past `done`: the next onboarding question, or the end of a settings change."""
    now = runtime.clock.now()
    state = await get_state(session, user.id)
    if state is not None and state.flow == ONBOARDING:
        remaining = [
            step
            for step in _ONBOARDING_ORDER[_ONBOARDING_ORDER.index(done) + 1 :]
            if not _already_answered(user, step)
        ]
        if remaining:
            next_step = remaining[0]
            await set_state(session, user.id, flow=ONBOARDING, step=next_step, data=data, now=now)
            return FlowOutcome(
                member=member_from_row(user),
                ask=next_step,
                changed=done,
                flow=ONBOARDING,
                pending_weekday=data.get("weekday"),
            )
        await clear_state(session, user.id)
        user.onboarded_at = now
        user.updated_at = now
        reschedule(user, now)
        return FlowOutcome(member=member_from_row(user), changed=done, finished_onboarding=True)
    if data:
        await set_state(session, user.id, flow=SETTINGS, step=Step.TIME, data=data, now=now)
        return FlowOutcome(
            member=member_from_row(user),
            ask=Step.TIME,
            changed=done,
            flow=SETTINGS,
            pending_weekday=data.get("weekday"),
        )
    if state is not None:
        await clear_state(session, user.id)
    user.updated_at = now
    reschedule(user, now)
    # A prompt made ahead for the old slot (see `schedule_due_prompts`) does not go.
    await cancel_prompts_ahead(session, user.id, now, keep=user.next_prompt_at)
    return FlowOutcome(member=member_from_row(user), changed=done)


def _already_answered(user: User, step: Step) -> bool:
    # Only the time zone can be known before its turn (a command sent mid-onboarding);
    # weekday and time always come as a pair.
    return step is Step.TIMEZONE and user.timezone is not None


# Language names members write instead of the code, in either language.
_LANGUAGE_NAMES = {
    "deutsch": "de", "german": "de", "englisch": "en", "english": "en",
    "ger": "de", "eng": "en",
}  # fmt: skip


async def choose_language(runtime: Runtime, who: Identity, language: str) -> FlowOutcome:
    """Set the member's language (`/language en`, `/language deutsch`, or a button)."""
    language = language.strip().casefold()
    language = _LANGUAGE_NAMES.get(language, language)
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        if language not in LANGUAGES:
            return await _refuse(session, user, Problem.LANGUAGE)
        user.language = language
        return await _advance(session, runtime, user, Step.LANGUAGE, data={})


async def choose_timezone(runtime: Runtime, who: Identity, text: str) -> FlowOutcome:
    """Set the time zone from an IANA name or a place; several matches come back as choices."""
    candidate = text.strip()
    too_long = over_text_limit(Limit.PLACE, candidate)
    # A look-up reads a file (and the very first one may wait for it to be built): keep it
    # off the event loop and outside the transaction.
    abbreviated = abbreviated_zone(candidate, runtime.clock.now()) if too_long is None else None
    matches = (
        []
        if too_long is not None
        else [abbreviated]
        if abbreviated is not None
        else [ZoneMatch(candidate, candidate, exact=True)]
        if is_valid_timezone(candidate)
        else most_likely(await asyncio.to_thread(resolve_timezone, candidate, runtime.clock.now()))
    )
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        if too_long is not None:
            return await _refuse(session, user, Problem.TIMEZONE, too_long)
        if not matches:
            return await _refuse(session, user, Problem.TIMEZONE)
        if len(matches) > 1 or not applies_unasked(matches[0]):  # a weak match is asked
            state = await get_state(session, user.id)
            return FlowOutcome(
                member=member_from_row(user),
                ask=Step.TIMEZONE,
                zone_choices=tuple(matches),
                flow=state.flow if state else None,
            )
        user.timezone = matches[0].zone
        return await _advance(session, runtime, user, Step.TIMEZONE, data={})


async def locate(runtime: Runtime, who: Identity, latitude: float, longitude: float) -> FlowOutcome:
    """Set the time zone from a shared location, looked up offline."""
    zone = await asyncio.to_thread(timezone_for_location, latitude, longitude)
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        if zone is None:
            return await _refuse(session, user, Problem.LOCATION)
        user.timezone = zone
        return await _advance(session, runtime, user, Step.TIMEZONE, data={})


async def choose_weekday(runtime: Runtime, who: Identity, weekday: int) -> FlowOutcome:
    """Remember the weekday and ask for the time (the slot is saved as a pair)."""
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        if not 0 <= weekday <= 6:
            return await _refuse(session, user, Problem.WEEKDAY)
        return await _advance(session, runtime, user, Step.WEEKDAY, data={"weekday": weekday})


async def choose_time(runtime: Runtime, who: Identity, minute_of_day: int) -> FlowOutcome:
    """Complete the weekly slot with the time chosen after the weekday."""
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        state = await get_state(session, user.id)
        weekday = state.data.get("weekday") if state is not None else None
        if weekday is None:
            if user.slot_weekday is None:
                return await _refuse(session, user, Problem.NO_WEEKDAY)
            weekday = user.slot_weekday
        if not 0 <= minute_of_day < 24 * 60:
            return await _refuse(session, user, Problem.TIME)
        user.slot_weekday = int(weekday)
        user.slot_minute = minute_of_day
        return await _advance(session, runtime, user, Step.TIME, data={})


async def set_schedule(runtime: Runtime, who: Identity, text: str) -> FlowOutcome:
    """`/schedule mon 09:00`: weekday and time in one line."""
    parsed = parse_schedule(text)
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        if parsed is None:
            return await _refuse(session, user, Problem.SCHEDULE)
        user.slot_weekday, user.slot_minute = parsed
        state = await get_state(session, user.id)
        if state is not None and state.flow == ONBOARDING and user.timezone is None:
            # Onboarding still needs the zone; keep asking for it.
            await set_state(
                session, user.id, flow=ONBOARDING, step=Step.TIMEZONE, now=runtime.clock.now()
            )
            return FlowOutcome(
                member=member_from_row(user), ask=Step.TIMEZONE, changed=Step.TIME, flow=ONBOARDING
            )
        if state is not None and state.flow == ONBOARDING:
            state.step = Step.WEEKDAY
        return await _advance(session, runtime, user, Step.TIME, data={})


async def answer_text(runtime: Runtime, who: Identity, text: str) -> FlowOutcome | None:
    """Free text answers the current question; None when the member is in no flow."""
    async with runtime.sessions.begin() as session:
        user, is_new = await _member_row(session, runtime, who)
        if is_new:
            # Someone new who wrote before /start: welcome them instead of reading the
            # text as an answer to a question they were never asked.
            return FlowOutcome(
                member=member_from_row(user), ask=Step.LANGUAGE, is_new=True, flow=ONBOARDING
            )
        state = await get_state(session, user.id)
        if state is None or state.flow not in (ONBOARDING, SETTINGS):
            return None
        step = Step(state.step)
    if step is Step.LANGUAGE:
        return await choose_language(runtime, who, _language_from_text(text))
    if step is Step.TIMEZONE:
        return await choose_timezone(runtime, who, text)
    if step is Step.WEEKDAY:
        if parse_schedule(text) is not None:
            return await set_schedule(runtime, who, text)
        weekday = parse_weekday(text)
        if weekday is None:
            return await _refuse_by_identity(runtime, who, Problem.WEEKDAY)
        return await choose_weekday(runtime, who, weekday)
    minute = parse_time_of_day(text)
    if minute is None:
        return await _refuse_by_identity(runtime, who, Problem.TIME)
    return await choose_time(runtime, who, minute)


def _language_from_text(text: str) -> str:
    lowered = text.strip().lower()
    if lowered in {"deutsch", "german", "de", "ger"}:
        return "de"
    if lowered in {"english", "englisch", "en", "eng"}:
        return "en"
    return lowered


async def _refuse(
    session: AsyncSession, user: User, problem: Problem, limit: LimitReached | None = None
) -> FlowOutcome:
    state = await get_state(session, user.id)
    if state is not None and state.flow not in (ONBOARDING, SETTINGS):
        # An old setup button pressed in the middle of another flow (a commitment, say).
        state = None
    return FlowOutcome(
        member=member_from_row(user),
        problem=problem,
        limit=limit,
        ask=Step(state.step) if state is not None else None,
        flow=state.flow if state is not None else None,
        pending_weekday=state.data.get("weekday") if state is not None else None,
    )


async def _refuse_by_identity(runtime: Runtime, who: Identity, problem: Problem) -> FlowOutcome:
    async with runtime.sessions.begin() as session:
        user, _ = await _member_row(session, runtime, who)
        return await _refuse(session, user, problem)
