"""Stray text is not lost: text outside any question is offered a place.

Members are set up already (prompts years away); the clock is frozen at Thursday
26 Nov 2026, 08:00 UTC. Texts are encrypted at rest.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.models import Commitment, Contact, Interaction, Reflection
from tests.support.contacts import chat_saying_yes
from tests.support.harness import chat, labels, press_and_see_edit, texts_until_quiet
from tests.support.members import member_in_chat, sealed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("sealed")


async def _notes(runtime: Runtime) -> list[str | None]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Interaction).order_by(Interaction.id))).scalars()
        return [row.note for row in rows]


async def _contacts(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return [c.name for c in (await session.execute(select(Contact))).scalars()]


async def test_a_stray_line_becomes_a_note_or_a_meeting_with_the_contact_it_names(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    anna = await member_in_chat(sim, runtime, "Anna", "de")
    line = "Heute habe ich übrigens Lisa getroffen"
    (offer,) = await chat(anna, line)
    assert "keine Frage offen – soll ich es aufheben?" in (offer.text or "")
    assert offer.reply_to is not None and offer.reply_to.text == line
    assert labels(offer) == [
        "📝 Als Notiz behalten",
        "🤝 Als Treffen festhalten",
        "📌 Als Vorhaben",
    ]
    # A name not yet among the contacts is asked about first, as `/met Lisa` asks.
    asked = await press_and_see_edit(anna, offer, "🤝 Als Treffen festhalten")
    assert "Neuer Kontakt: Lisa?" in (asked.text or "")
    assert labels(asked) == ["✓ Ja, neuer Kontakt", "✖ Abbrechen"]
    assert await _contacts(runtime) == [] and await _notes(runtime) == []
    met = await press_and_see_edit(anna, asked, "✓ Ja, neuer Kontakt")
    assert "Festgehalten ✓ Du hattest Kontakt mit Lisa." in (met.text or "")
    assert "Ich habe gegeben" in labels(met)
    assert await _notes(runtime) == [line]

    # A known contact is found first, wherever it stands and however it is written.
    (offer,) = await chat(anna, "mit lisa und dem Team Mittag gegessen")
    met = await press_and_see_edit(anna, offer, "🤝 Als Treffen festhalten")
    assert "Du hattest Kontakt mit Lisa." in (met.text or "")
    assert await _notes(runtime) == [line, "mit lisa und dem Team Mittag gegessen"]
    # Naming nobody: the meeting asks with whom, nothing is logged.
    (offer,) = await chat(anna, "war ein guter tag")
    asked = await press_and_see_edit(anna, offer, "🤝 Als Treffen festhalten")
    assert "Mit wem hattest du Kontakt?" in (asked.text or "") and len(await _notes(runtime)) == 2

    (offer,) = await chat(anna, "mit lisa und dem Team Mittag gegessen")
    kept = await press_and_see_edit(anna, offer, "📝 Als Notiz behalten")
    assert "✓" in (kept.text or "") and "/journal" in (kept.text or "")
    assert "Mit Lisa hattest du heute schon Kontakt." in (kept.text or "")
    async with runtime.sessions() as session:
        note = (await session.execute(select(Reflection))).scalar_one()
        assert note.text == "mit lisa und dem Team Mittag gegessen"
    # The same button again (a double tap): answered kindly, kept once.
    answer = await anna.wait_callback_answer(await anna.press_forged(offer, "sn:"))
    assert answer.text == "Dieser Knopf ist nicht mehr aktiv."
    (journal,) = await chat(anna, "/journal")
    assert "Notiz 1 von 1" in (journal.text or "")
    assert await _contacts(runtime) == ["Lisa"]


async def test_a_new_name_in_a_stray_line_is_not_kept_when_the_member_cancels(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    eva = await member_in_chat(sim, runtime, "Eva", "en")
    (offer,) = await chat(eva, "Had coffee with Niemand today")
    asked = await press_and_see_edit(eva, offer, "🤝 Log it as a meeting")
    assert "New contact: Niemand?" in (asked.text or "")
    cancelled = await press_and_see_edit(eva, asked, "✖ Cancel")
    assert "Nothing of it was saved" in (cancelled.text or "")
    assert await _contacts(runtime) == [] and await _notes(runtime) == []


async def test_a_stray_line_becomes_a_commitment(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ben = await member_in_chat(sim, runtime, "Ben", "en")
    (offer,) = await chat(ben, "call Tom about the flyer by Friday")
    assert labels(offer)[-1] == "📌 Make it a commitment"
    await ben.press(offer, "📌 Make it a commitment")
    asked = await ben.next_message()
    assert "New contact: Tom?" in (asked.text or "") and await _contacts(runtime) == []
    await ben.press(asked, "✓ Yes, new contact")
    made = await ben.next_message()
    assert "Got it ✓" in (made.text or "") and "call Tom about the flyer" in (made.text or "")
    async with runtime.sessions() as session:
        commitment = (await session.execute(select(Commitment))).scalar_one()
        assert commitment.action == "call Tom about the flyer"
    assert labels(next(m for m in ben.messages if m.message_id == offer.message_id)) == []


async def test_long_stray_text_is_offered_only_what_fits_and_nobody_else_can_take_it(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    cleo = await member_in_chat(sim, runtime, "Cleo", "en")
    dan = await member_in_chat(sim, runtime, "Dan", "en")
    (offer,) = await chat(cleo, "Met Sam. " + "We talked for a long time. " * 30)
    assert labels(offer) == ["📝 Keep as a note"]  # too long for a meeting's note or a commitment
    # Offer buttons forged onto a message that answers no text of the member's do nothing.
    (help_text,) = await chat(dan, "/help")
    for data in ("sn:", "sm:0", "sc:"):
        answer = await dan.wait_callback_answer(await dan.press_forged(help_text, data))
        assert answer.text == "This button is no longer active.", data
    # A known contact of another member is never found: the meeting makes Dan's own.
    await chat_saying_yes(cleo, "/met Sam")
    (own,) = await chat(dan, "lunch with sam")
    asked = await press_and_see_edit(dan, own, "🤝 Log it as a meeting")
    assert "Who were you in touch with?" in (asked.text or "")
    assert await texts_until_quiet(dan) == [] and await _notes(runtime) == [None]
