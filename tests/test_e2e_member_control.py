"""Member control, what a second look found: an undo never writes over a later change, a
question about a contact goes away, a double tap logs one meeting.

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC and moved by the tests; members
are set up already, with weekly prompts years away.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Commitment, Contact, Interaction
from tests.support.contacts import chat_saying_yes
from tests.support.harness import chat, labels, press_and_see_edit
from tests.support.members import member_in_chat, sealed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("sealed")


async def _followup(bot: NetcoachApplication, clock: ShiftableClock, user: SimUser) -> SimMessage:
    clock.advance(timedelta(minutes=3))
    bot.bot_data.dispatcher.kick()
    await bot.bot_data.dispatcher.idle()
    return await user.next_message()


async def _undo_refused(user: SimUser, message: SimMessage, label: str) -> None:
    answer = await user.wait_callback_answer(await user.press(message, label))
    assert "no longer be undone" in (answer.text or "")


async def test_a_snooze_is_not_undone_over_a_new_date(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ida = await member_in_chat(sim, runtime, "Ida", "en")
    await chat_saying_yes(ida, "/commit call Ann in 2 minutes")
    snoozed = await press_and_see_edit(ida, await _followup(bot, clock, ida), "💤 1 day")
    (listing,) = await chat(ida, "/commitments")
    await ida.press(listing, "1. call Ann")
    item = await ida.next_message()
    await ida.press(item, "🗓 Renegotiate")
    for _ in range(3):
        await ida.next_message()
    (moved,) = await chat(ida, "Friday")
    assert "Fri, 27 Nov" in (moved.text or "")
    async with runtime.sessions() as session:
        commitment = (await session.execute(select(Commitment))).scalar_one()
        after_move = (commitment.due_at, commitment.followup_at, commitment.pings)

    await _undo_refused(ida, snoozed, "↩️ Undo")
    async with runtime.sessions() as session:
        commitment = (await session.execute(select(Commitment))).scalar_one()
        assert (commitment.due_at, commitment.followup_at, commitment.pings) == after_move
        assert commitment.followup_at is not None


async def test_a_done_is_not_undone_over_a_later_meeting(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ida = await member_in_chat(sim, runtime, "Ida", "en")
    await chat_saying_yes(ida, "/commit call Ann in 2 minutes")
    done = await press_and_see_edit(ida, await _followup(bot, clock, ida), "✓ Done")
    clock.advance(timedelta(minutes=1))
    await chat(ida, "/met Ann")
    met_at = clock.now()

    await _undo_refused(ida, done, "↩️ Undo")
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
        assert contact.last_interaction_at == met_at
        assert (await session.execute(select(Commitment))).scalar_one().status.value == "done"


async def _contacts(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return [c.name for c in (await session.execute(select(Contact))).scalars()]


async def _asked_for_a_name(user: SimUser, name: str) -> SimMessage:
    (page,) = await chat(user, f"/contact {name}")
    rename = [label for label in labels(page) if label.startswith("✏️")]
    return await press_and_see_edit(user, page, rename[0])


async def test_a_name_too_long_closes_the_question_and_rename_asks_again(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    max_ = await member_in_chat(sim, runtime, "Max", "en")
    await chat_saying_yes(max_, "/met Tom")
    await _asked_for_a_name(max_, "Tom")
    (refused,) = await chat(max_, "T" * 65)
    assert "at most 64 characters" in (refused.text or "")
    assert labels(refused) == ["✏️ Rename", "◀ Back to Tom"]
    await chat(max_, "Lunch was good")  # not a name: the question was closed
    assert await _contacts(runtime) == ["Tom"]

    await press_and_see_edit(max_, refused, "✏️ Rename")
    (renamed,) = await chat(max_, "Tom Berg")
    assert "Tom Berg" in (renamed.text or "")
    assert await _contacts(runtime) == ["Tom Berg"]


async def test_the_name_question_is_left_with_its_button_cancel_or_after_a_few_minutes(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    lea = await member_in_chat(sim, runtime, "Lea", "de")
    await chat_saying_yes(lea, "/met Anna")
    asked = await _asked_for_a_name(lea, "Anna")
    assert labels(asked) == ["◀ Zu Anna", "✖ Abbrechen"]
    left = await press_and_see_edit(lea, asked, "✖ Abbrechen")
    assert "Abgebrochen" in (left.text or "")
    for leave in ("abbrechen", "/cancel"):
        await _asked_for_a_name(lea, "Anna")
        (left,) = await chat(lea, leave)
        assert "Abgebrochen" in (left.text or ""), leave
    await _asked_for_a_name(lea, "Anna")
    clock.advance(timedelta(minutes=6))
    await chat(lea, "Heute war ein guter Tag")  # too late to be a name
    assert await _contacts(runtime) == ["Anna"]


async def _meetings(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return len((await session.execute(select(Interaction))).scalars().all())


async def test_a_double_tap_logs_one_meeting(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    max_ = await member_in_chat(sim, runtime, "Max", "en")
    await chat_saying_yes(max_, "/met Tom")
    (offer,) = await chat(max_, "had lunch with Tom")
    meet = next(b.data for b in offer.buttons if b.text.startswith("🤝"))
    met = await press_and_see_edit(max_, offer, labels(offer)[1])
    assert "You were in touch with Tom" in (met.text or "")
    answer = await max_.wait_callback_answer(await max_.press_forged(offer, meet))
    assert answer.text == "This button is no longer active."
    assert await _meetings(runtime) == 2

    (page,) = await chat(max_, "/contact Tom")
    meet = next(b.data for b in page.buttons if b.text.startswith("🤝"))
    await press_and_see_edit(max_, page, labels(page)[0])
    await max_.next_message()  # "noted"
    answer = await max_.wait_callback_answer(await max_.press_forged(page, meet))
    assert answer.text == "This button is no longer active."
    assert await _meetings(runtime) == 3
