"""Retention: what a member typed or did is gone once the period has passed, and /privacy says so.

Each story builds a member's history through the domain functions, moves the clock past
the period (30 days here) and runs the daily retention, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ShiftableClock
from bot.domain import onboarding
from bot.domain.commitment_actions import mark_done, release
from bot.domain.members import Identity
from bot.domain.privacy import RetentionReport, apply_retention, member_rows
from bot.domain.prompts import Outcome, SendOutcome, next_prompt_now, record_outcomes
from bot.domain.reflections import ask_for_reflection, save_reflection
from bot.domain.runtime import Runtime
from bot.settings import Settings
from content.rotation import CardHistory, choose_next_card
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.deliveries import add_delivery, card_history
from storage.models import (
    Commitment,
    Contact,
    ConversationState,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Interaction,
    Reflection,
    User,
)
from storage.rotation import asked_questions
from tests.support.contacts import cadence_saying_yes, commit_saying_yes, met_saying_yes
from tests.support.harness import chat

PERIOD = 30
LEASE = timedelta(minutes=1)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings with retention on: everything past PERIOD days goes."""
    return Settings(database_url=database_url, retention_days=PERIOD, _env_file=None)  # type: ignore[call-arg]


def _clock(runtime: Runtime) -> ShiftableClock:
    assert isinstance(runtime.clock, ShiftableClock)
    return runtime.clock


async def _member(runtime: Runtime, telegram_id: int, language: str = "de") -> Identity:
    """A member who finished onboarding (Berlin, Mondays 09:00)."""
    who = Identity(telegram_id, telegram_id, language)
    await onboarding.start(runtime, who)
    await onboarding.choose_timezone(runtime, who, "Europe/Berlin")
    await onboarding.set_schedule(runtime, who, "mo 09:00")
    return who


async def _prompt(runtime: Runtime, who: Identity, outcome: Outcome = Outcome.SENT) -> int:
    """`/next`, sent (or not) right away; return the delivery id."""
    prompt = await next_prompt_now(runtime, who, LEASE)
    assert prompt is not None
    await record_outcomes(runtime, [SendOutcome(prompt.delivery_id, outcome, 1)])
    return prompt.delivery_id


async def _rows(runtime: Runtime, model: Any, *columns: Any) -> list[Any]:
    async with runtime.sessions() as session:
        query = select(*columns) if columns else select(model)
        return list((await session.execute(query.order_by(model.id))).all())


async def _count(runtime: Runtime, model: Any) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_with_retention_off_nothing_is_deleted(runtime: Runtime) -> None:
    who = await _member(runtime, 1)
    await _prompt(runtime, who)
    await ask_for_reflection(runtime, who)
    await save_reflection(runtime, who, "Ein alter Gedanke")
    await met_saying_yes(runtime, who, "Anna beim Kaffee")
    _clock(runtime).advance(timedelta(days=10 * PERIOD))
    off = replace(runtime, settings=runtime.settings.model_copy(update={"retention_days": None}))

    assert await apply_retention(off) == RetentionReport()
    assert await _count(runtime, Reflection) == 1 and await _count(runtime, Interaction) == 1


async def test_reflections_older_than_the_period_are_deleted(runtime: Runtime) -> None:
    who = await _member(runtime, 1)
    await _prompt(runtime, who)
    await ask_for_reflection(runtime, who)
    await save_reflection(runtime, who, "old thought")
    _clock(runtime).advance(timedelta(days=PERIOD + 10))
    await ask_for_reflection(runtime, who)
    await save_reflection(runtime, who, "new thought")

    report = await apply_retention(runtime)

    assert report.reflections == 1
    assert await _rows(runtime, Reflection, Reflection.text) == [("new thought",)]


async def test_a_kept_or_released_commitment_goes_after_the_period_an_open_one_stays(
    runtime: Runtime,
) -> None:
    who = await _member(runtime, 1)
    for line in ("Anna anrufen in 2 Tagen", "Ben schreiben in 2 Tagen", "Cem besuchen in 9 Wochen"):
        step = await commit_saying_yes(runtime, who, line)
        assert step is not None and step.created is not None, line
    kept, released, still_open = [row.id for row in await _rows(runtime, Commitment, Commitment.id)]
    assert await mark_done(runtime, who, kept) is not None
    _clock(runtime).advance(timedelta(days=20))
    assert await release(runtime, who, released) is not None
    _clock(runtime).advance(timedelta(days=PERIOD - 5))  # kept: 45 days ago, released: 25

    assert (await apply_retention(runtime)).commitments == 1
    assert [row.id for row in await _rows(runtime, Commitment, Commitment.id)] == [
        released,
        still_open,
    ]
    _clock(runtime).advance(timedelta(days=10))
    assert (await apply_retention(runtime)).commitments == 1
    assert [row.id for row in await _rows(runtime, Commitment, Commitment.id)] == [still_open]


async def test_ledger_entries_and_their_notes_go_after_the_period(runtime: Runtime) -> None:
    who = await _member(runtime, 1)
    await met_saying_yes(runtime, who, "Anna beim Kaffee: sie sucht eine neue Stelle")
    _clock(runtime).advance(timedelta(days=PERIOD + 1))
    await met_saying_yes(runtime, who, "Anna kurz am Telefon")

    assert (await apply_retention(runtime)).interactions == 1
    notes = await _rows(runtime, Interaction, Interaction.note)
    assert notes == [("kurz am Telefon",)]
    assert await _rows(runtime, Contact, Contact.name) == [("Anna",)]  # met lately: stays


async def test_a_contact_no_longer_followed_goes_with_its_history_after_the_period(
    runtime: Runtime,
) -> None:
    who = await _member(runtime, 1)
    await met_saying_yes(runtime, who, "Bea auf der Messe, erzählte von ihrer Scheidung")
    await cadence_saying_yes(runtime, who, "Carl alle 4 Wochen")
    await commit_saying_yes(runtime, who, "Dora anrufen in 10 Wochen")
    _clock(runtime).advance(timedelta(days=PERIOD + 1))
    await met_saying_yes(runtime, who, "Emil beim Essen")

    report = await apply_retention(runtime)

    # Bea: no cadence, nothing open, not met since; Carl has a cadence, Dora an open
    # commitment, Emil was met lately.
    assert report.contacts == 1
    names = sorted(name for (name,) in await _rows(runtime, Contact, Contact.name))
    assert names == ["Carl", "Dora", "Emil"]
    assert await _rows(runtime, Interaction, Interaction.note) == [("beim Essen",)]


async def test_an_unfinished_flow_goes_after_the_period(runtime: Runtime) -> None:
    early, late = await _member(runtime, 1), await _member(runtime, 2)
    await _prompt(runtime, early)
    await commit_saying_yes(runtime, early, "Anna")  # asks what to do: a draft
    _clock(runtime).advance(timedelta(days=PERIOD - 5))
    await _prompt(runtime, late)
    await ask_for_reflection(runtime, late)
    _clock(runtime).advance(timedelta(days=10))

    assert (await apply_retention(runtime)).drafts == 1
    async with runtime.sessions() as session:
        left = (await session.execute(select(ConversationState.user_id))).scalars().all()
        late_id = (
            await session.execute(select(User.id).where(User.telegram_id == late.telegram_id))
        ).scalar_one()
    assert left == [late_id]


async def test_a_set_up_left_half_way_is_kept_past_the_period(runtime: Runtime) -> None:
    # Set-up holds nothing typed; someone who comes back after months goes on from there.
    newcomer = Identity(3, 3, "de")
    await onboarding.start(runtime, newcomer)
    _clock(runtime).advance(timedelta(days=PERIOD + 30))

    assert (await apply_retention(runtime)).drafts == 0
    async with runtime.sessions() as session:
        flows = (await session.execute(select(ConversationState.flow))).scalars().all()
    assert flows == ["onboarding"]


async def test_delivery_history_goes_after_the_period_and_the_rotation_goes_on_where_it_was(
    runtime: Runtime,
) -> None:
    who = await _member(runtime, 1)
    clock = _clock(runtime)
    for week in range(11):
        await _prompt(runtime, who, Outcome.FAILED if week == 4 else Outcome.SENT)
        clock.advance(timedelta(days=7))
    async with runtime.sessions.begin() as session:
        user_id = (await session.execute(select(User.id))).scalar_one()
        first = (
            await session.execute(select(Delivery).order_by(Delivery.slot_at).limit(1))
        ).scalar_one()
        now = clock.now()
        # The same card and question shown once more before (kept: only the latest).
        assert await add_delivery(
            session,
            user_id=user_id,
            kind=DeliveryKind.PROMPT,
            slot_at=first.slot_at - timedelta(days=70),
            status=DeliveryStatus.SENT,
            due_at=first.slot_at,
            now=now,
            card_key=first.card_key,
            question_index=first.question_index,
        )
        for hours, kind, status in (
            (1, DeliveryKind.FOLLOWUP, DeliveryStatus.SENT),
            (2, DeliveryKind.CHECKIN, DeliveryStatus.CANCELLED),
            (3, DeliveryKind.FOLLOWUP, DeliveryStatus.PENDING),  # still the dispatcher's work
        ):
            assert await add_delivery(
                session,
                user_id=user_id,
                kind=kind,
                slot_at=first.slot_at + timedelta(hours=hours),
                status=status,
                due_at=first.slot_at,
                now=now,
            )
    clock.advance(timedelta(days=PERIOD))

    async def rotation() -> tuple[object, ...]:
        async with runtime.sessions() as session:
            history = [CardHistory(*row) for row in await card_history(session, user_id)]
            asked = sorted(
                (item.card_key, item.question_index, item.asked_at)
                for item in await asked_questions(session, user_id)
            )
        shown = sorted((entry.card_key, entry.last_shown_at) for entry in history)
        return choose_next_card(runtime.curriculum, history).key, shown, asked

    before, count_before = await rotation(), await _count(runtime, Delivery)
    report = await apply_retention(runtime)

    # The older duplicate, the sent follow-up and the cancelled check-in; the failed
    # prompt stays, as the rotation counts its question as asked.
    assert report.deliveries == 3
    assert await _count(runtime, Delivery) == count_before - 3
    assert await rotation() == before
    statuses = await _rows(runtime, Delivery, Delivery.kind, Delivery.status)
    assert (DeliveryKind.FOLLOWUP, DeliveryStatus.PENDING) in statuses
    assert (DeliveryKind.FOLLOWUP, DeliveryStatus.SENT) not in statuses


async def test_a_member_who_blocked_the_bot_longer_than_the_period_is_deleted_entirely(
    runtime: Runtime,
) -> None:
    gone, back_soon, active = [await _member(runtime, n) for n in (1, 2, 3)]
    for who in (gone, back_soon, active):
        await _prompt(runtime, who)
        await ask_for_reflection(runtime, who)
        await save_reflection(runtime, who, f"Notiz von {who.telegram_id}")
        await met_saying_yes(runtime, who, "Anna beim Kaffee")
    _clock(runtime).advance(timedelta(minutes=5))
    await _prompt(runtime, gone, Outcome.BLOCKED)
    _clock(runtime).advance(timedelta(days=PERIOD - 5))
    await _prompt(runtime, back_soon, Outcome.BLOCKED)
    _clock(runtime).advance(timedelta(days=10))
    async with runtime.sessions() as session:
        ids = dict((await session.execute(select(User.telegram_id, User.id))).all())
        kept_before = await member_rows(session, ids[3])

    report = await apply_retention(runtime)

    assert report.members == 1
    async with runtime.sessions() as session:
        assert all(rows == [] for rows in (await member_rows(session, ids[1])).values())
        assert (await member_rows(session, ids[2]))["users"] != []
        # The active member loses only what is past the period, not their account.
        kept_after = await member_rows(session, ids[3])
    assert kept_after["users"] == kept_before["users"]


async def test_privacy_names_every_retention_period_in_both_languages(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    ada, lotte = sim.user("Ada", language_code="en"), sim.user("Lotte", language_code="de")
    (english,) = await chat(ada, "/privacy")
    (german,) = await chat(lotte, "/privacy")
    english_text, german_text = english.text or "", german.text or ""
    for kind in (
        "notes on the prompts",
        "give-and-take",
        "commitments you have closed",
        "contacts you no longer",
        "which messages I sent you",
        "blocked me",
    ):
        assert kind in english_text, kind
    for kind in (
        "Notizen zu den Impulsen",
        "Geben und Nehmen",
        "abgeschlossene Vorhaben",
        "Kontakte, die du nicht mehr",
        "welche Nachrichten ich dir geschickt habe",
        "blockiert",
    ):
        assert kind in german_text, kind
    assert f"after {PERIOD} days" in english_text and f"nach {PERIOD} Tagen" in german_text
