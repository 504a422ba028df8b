"""Onboarding and settings as the domain sees them, on SQLite and PostgreSQL.

The end-to-end stories in `test_e2e_onboarding.py` go through Telegram; these pin
down the state machine and what lands in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain import onboarding
from bot.domain.members import Identity
from bot.domain.onboarding import Problem, Step
from bot.domain.runtime import Runtime
from storage.models import ConversationState, User

ANNA = Identity(telegram_id=1001, chat_id=1001, language_code="de-AT")
BEN = Identity(telegram_id=1002, chat_id=1002, language_code="en-GB")


async def _row(runtime: Runtime, telegram_id: int) -> User:
    async with runtime.sessions() as session:
        return (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()


async def test_a_new_member_is_asked_language_zone_day_and_time_in_turn(runtime: Runtime) -> None:
    outcome = await onboarding.start(runtime, ANNA)
    assert outcome.is_new and outcome.ask is Step.LANGUAGE
    assert outcome.member.language == "de"  # from Telegram's de-AT

    outcome = await onboarding.choose_language(runtime, ANNA, "de")
    assert outcome.ask is Step.TIMEZONE
    outcome = await onboarding.answer_text(runtime, ANNA, "München")  # type: ignore[assignment]
    assert outcome is not None and outcome.ask is Step.WEEKDAY
    assert outcome.member.timezone == "Europe/Berlin"
    outcome = await onboarding.answer_text(runtime, ANNA, "Donnerstag")  # type: ignore[assignment]
    assert outcome is not None and outcome.ask is Step.TIME and outcome.pending_weekday == 3
    outcome = await onboarding.answer_text(runtime, ANNA, "18:30")  # type: ignore[assignment]
    assert outcome is not None and outcome.finished_onboarding

    user = await _row(runtime, ANNA.telegram_id)
    assert (user.timezone, user.slot_weekday, user.slot_minute) == (
        "Europe/Berlin",
        3,
        18 * 60 + 30,
    )
    # The clock stands at Thursday 26 Nov 2026 08:00 UTC = 09:00 in Berlin: today 18:30 is next.
    assert user.next_prompt_at == datetime(2026, 11, 26, 17, 30, tzinfo=UTC)
    async with runtime.sessions() as session:
        assert await session.get(ConversationState, user.id) is None


async def test_one_line_commands_set_everything_without_the_questions(runtime: Runtime) -> None:
    await onboarding.start(runtime, BEN)
    outcome = await onboarding.choose_timezone(runtime, BEN, "america/new_york")
    assert outcome.member.timezone == "America/New_York" and outcome.ask is Step.WEEKDAY
    outcome = await onboarding.set_schedule(runtime, BEN, "mon 07:05")
    assert outcome.finished_onboarding
    assert outcome.member.language == "en"
    assert outcome.member.next_prompt_at == datetime(2026, 11, 30, 12, 5, tzinfo=UTC)


async def test_bad_answers_change_nothing_and_keep_the_question_open(runtime: Runtime) -> None:
    await onboarding.start(runtime, ANNA)
    await onboarding.choose_language(runtime, ANNA, "de")
    before = await _row(runtime, ANNA.telegram_id)

    outcome = await onboarding.answer_text(runtime, ANNA, "Atlantis-on-Sea")
    assert outcome is not None
    assert outcome.problem is Problem.TIMEZONE and outcome.ask is Step.TIMEZONE
    refused_language = await onboarding.choose_language(runtime, ANNA, "fr")
    assert refused_language.problem is Problem.LANGUAGE
    refused_schedule = await onboarding.set_schedule(runtime, ANNA, "someday 25:99")
    assert refused_schedule.problem is Problem.SCHEDULE

    after = await _row(runtime, ANNA.telegram_id)
    assert (after.language, after.timezone, after.slot_weekday, after.slot_minute) == (
        before.language,
        before.timezone,
        before.slot_weekday,
        before.slot_minute,
    )


async def test_start_again_shows_the_settings_instead_of_starting_over(runtime: Runtime) -> None:
    await onboarding.start(runtime, BEN)
    await onboarding.choose_timezone(runtime, BEN, "Europe/London")
    await onboarding.set_schedule(runtime, BEN, "fri 12:00")
    outcome = await onboarding.start(runtime, BEN)
    assert not outcome.is_new and outcome.ask is None and outcome.member.onboarded


async def test_changing_the_schedule_later_moves_the_next_prompt(runtime: Runtime) -> None:
    await onboarding.start(runtime, BEN)
    await onboarding.choose_timezone(runtime, BEN, "Europe/London")
    await onboarding.set_schedule(runtime, BEN, "fri 12:00")
    outcome = await onboarding.begin_change(runtime, BEN, Step.WEEKDAY)
    assert outcome.ask is Step.WEEKDAY and outcome.flow == onboarding.SETTINGS
    outcome = await onboarding.choose_weekday(runtime, BEN, 0)
    assert outcome.ask is Step.TIME
    outcome = await onboarding.choose_time(runtime, BEN, 8 * 60)
    assert outcome.changed is Step.TIME and outcome.ask is None
    assert outcome.member.next_prompt_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_a_shared_location_sets_the_time_zone(runtime: Runtime) -> None:
    await onboarding.start(runtime, ANNA)
    outcome = await onboarding.locate(runtime, ANNA, -33.87, 151.21)
    assert outcome.member.timezone == "Australia/Sydney"
    refused = await onboarding.locate(runtime, ANNA, 95.0, 500.0)
    assert refused.problem is Problem.LOCATION
