"""Undo the last tap: Done, Release, Snooze or a ledger tap, for a few minutes after it.

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC and moved by the tests; members
are set up already, with weekly prompts years away.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Commitment, Contact, Interaction
from tests.support.contacts import chat_saying_yes
from tests.support.harness import chat, labels, press_and_see_edit, texts_until_quiet
from tests.support.members import member_in_chat, sealed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("sealed")


async def _followups(
    bot: NetcoachApplication, clock: ShiftableClock, user: SimUser, count: int = 1
) -> list[SimMessage]:
    clock.advance(timedelta(minutes=3))
    bot.bot_data.dispatcher.kick()
    await bot.bot_data.dispatcher.idle()
    return [await user.next_message() for _ in range(count)]


async def _state(runtime: Runtime) -> list[tuple[str, datetime | None, datetime | None]]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Commitment).order_by(Commitment.id))).scalars()
        return [(c.status.value, c.closed_at, c.followup_at) for c in rows]


async def _interactions(runtime: Runtime) -> list[str | None]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Interaction).order_by(Interaction.id))).scalars()
        return [i.exchange.value if i.exchange else None for i in rows]


async def test_done_release_and_snooze_are_undone_and_answered_anew(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    gina = await member_in_chat(sim, runtime, "Gina", "de")
    await chat_saying_yes(gina, "/commit Ben anrufen in 2 Minuten")
    (followup,) = await _followups(bot, clock, gina)
    before = await _state(runtime)
    answers = ["✓ Erledigt", "🗓 Neu vereinbaren", "🕊 Loslassen", "💤 1 Tag", "💤 3 Tage"]

    done = await press_and_see_edit(gina, followup, "✓ Erledigt")
    assert labels(done)[-1] == "↩️ Rückgängig"
    assert await _interactions(runtime) == [None]
    undone = await press_and_see_edit(gina, done, "↩️ Rückgängig")
    assert "Rückgängig gemacht – das Vorhaben ist wieder offen" in (undone.text or "")
    assert "Ben anrufen" in (undone.text or "") and labels(undone)[:5] == answers
    assert await _state(runtime) == before and await _interactions(runtime) == []
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
        assert contact.last_interaction_at is None
    (kept,) = await chat(gina, "/kept")
    assert "0 von" not in (kept.text or "") and "1 von 1" not in (kept.text or "")

    released = await press_and_see_edit(gina, undone, "🕊 Loslassen")
    assert [s for s, *_ in await _state(runtime)] == ["released"]
    undone = await press_and_see_edit(gina, released, "↩️ Rückgängig")
    assert await _state(runtime) == before

    snoozed = await press_and_see_edit(gina, undone, "💤 1 Tag")
    assert await _state(runtime) != before
    await press_and_see_edit(gina, snoozed, "↩️ Rückgängig")
    assert await _state(runtime) == before


async def test_a_ledger_tap_is_undone_and_can_be_given_again(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    max_ = await member_in_chat(sim, runtime, "Max", "en")
    met = await chat_saying_yes(max_, "/met Tom lunch")
    noted = await press_and_see_edit(max_, met, "I gave")
    assert "Noted in your ledger" in (noted.text or "") and labels(noted) == ["↩️ Undo"]
    again = await press_and_see_edit(max_, noted, "↩️ Undo")
    assert "Undone. Who gave in your exchange with Tom?" in (again.text or "")
    assert labels(again) == ["I gave", "I received", "Both"]
    assert await _interactions(runtime) == [None]
    await press_and_see_edit(max_, again, "I received")
    assert await _interactions(runtime) == ["received"]


async def test_only_the_last_tap_and_only_for_a_few_minutes(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ida = await member_in_chat(sim, runtime, "Ida", "en")
    await chat_saying_yes(ida, "/commit call Ann in 2 minutes")
    await chat_saying_yes(ida, "/commit email Bo in 2 minutes")
    # Due together: one digest; each answer comes as a message of its own, with its undo.
    (digest,) = await _followups(bot, clock, ida)
    await ida.press(digest, "① ✓ Done")
    first = await ida.next_message()
    await ida.press(digest, "② 🕊 Release")
    second = await ida.next_message()
    assert labels(first)[-1] == labels(second)[-1] == "↩️ Undo"
    answer = await ida.wait_callback_answer(await ida.press(first, "↩️ Undo"))
    assert "only the last tap" in (answer.text or "") and answer.show_alert
    assert [s for s, *_ in await _state(runtime)] == ["done", "released"]

    clock.advance(timedelta(minutes=6))
    answer = await ida.wait_callback_answer(await ida.press(second, "↩️ Undo"))
    assert "no longer be undone" in (answer.text or "")
    assert [s for s, *_ in await _state(runtime)] == ["done", "released"]
    assert await texts_until_quiet(ida) == []


async def test_nobody_undoes_another_members_tap(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    una = await member_in_chat(sim, runtime, "Una", "en")
    vic = await member_in_chat(sim, runtime, "Vic", "en")
    await chat_saying_yes(una, "/commit call Wes in 2 minutes")
    (followup,) = await _followups(bot, clock, una)
    done = await press_and_see_edit(una, followup, "✓ Done")
    undo_data = next(b.data for b in done.buttons if b.text == "↩️ Undo")
    (own,) = await chat(vic, "/commitments")
    for data in (undo_data, "ud:x", "ud:done-x", "ud:gone-1", "ud:done-99999999999"):
        answer = await vic.wait_callback_answer(await vic.press_forged(own, data))
        assert answer.text == "This button is no longer active.", data
    assert [s for s, *_ in await _state(runtime)] == ["done"]
