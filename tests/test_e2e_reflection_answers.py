"""A coach answers: every reflection gets a short answer of its own.

It names the contact the reflection is about (found with names encrypted at rest) and
offers that contact's next steps, offers a name that is no contact yet without making
it, links the note to the week's card, and never gives the same receipt twice in a row.
Members are set up already (prompts years away); the clock is frozen at Thursday
26 Nov 2026, 08:00 UTC. Texts are encrypted at rest in every story.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select, text

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Contact, Interaction, Reflection
from tests.support.contacts import chat_saying_yes
from tests.support.harness import bot_against, chat, labels, press_and_see_edit
from tests.support.members import member_in_chat, sealed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("sealed")

_STEPS_DE = ["🤝 Treffen festhalten", "📌 Vorhaben", "⏰ Erinnerung"]
_STEPS_EN = ["🤝 Log a meeting", "📌 Commitment", "⏰ Check-ins"]


async def _contacts(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return sorted(c.name for c in (await session.execute(select(Contact))).scalars())


async def _reflect(user: SimUser, words: str) -> SimMessage:
    """The member replies to the prompt they were sent: the bot's answer."""
    prompt = next(m for m in reversed(user.messages) if "✍️" in " ".join(labels(m)))
    await user.reply_to(prompt, words)
    return await user.next_message()


async def test_a_reflection_about_tom_names_him_and_his_next_steps_work_after_a_restart(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    async with bot_against(sim, runtime):
        anna = await member_in_chat(sim, runtime, "Anna", "de")
        await chat_saying_yes(anna, "/met Tom")
        clock.advance(timedelta(weeks=6))
        await chat(anna, "/commit Tom anrufen bis Freitag")
        await chat(anna, "/next")
        answer = await _reflect(anna, "Von tom habe ich lange nichts gehört.")
    # Found by its blind index: the stored name holds no trace of "Tom".
    async with runtime.sessions() as session:
        stored = (await session.execute(text("SELECT name, name_key FROM contacts"))).one()
    assert "Tom" not in stored.name and "tom" not in stored.name_key

    first, contact, theme = (answer.text or "").split("\n")
    assert "✓" in first and "/journal" in first and "Tom" not in first  # the preview
    assert contact == (
        "Mit Tom hattest du zuletzt vor 6 Wochen Kontakt. Ein Vorhaben ist noch offen."
    )
    assert theme.startswith("🧭 ")
    assert labels(answer) == _STEPS_DE

    async with bot_against(sim, runtime):  # the buttons outlive a restart
        asked = await press_and_see_edit(anna, answer, "⏰ Erinnerung")
        assert "Wie oft soll ich dich an Tom erinnern" in (asked.text or "")
        await anna.press(asked, "Alle 3 Monate")
        assert "Tom" in ((await anna.next_message()).text or "")
        async with runtime.sessions() as session:
            tom = (await session.execute(select(Contact))).scalar_one()
            assert tom.cadence_days == 90

        second = await _reflect(anna, "Tom hat sich heute doch gemeldet, wir trinken bald Kaffee.")
        assert second.text is not None and second.text.split("\n")[0] != first
        await anna.press(second, "🤝 Treffen festhalten")
        assert "Du hattest Kontakt mit Tom." in ((await anna.next_message()).text or "")
        async with runtime.sessions() as session:
            meetings = (await session.execute(select(Interaction))).scalars().all()
            assert len(meetings) == 2

        third = await _reflect(anna, "Mit Tom will ich über das neue Projekt sprechen.")
        assert "Mit Tom hattest du heute schon Kontakt." in (third.text or "")
        await anna.press(third, "📌 Vorhaben")
        assert "Was nimmst du dir für Tom vor?" in ((await anna.next_message()).text or "")
        await chat(anna, "abbrechen")

        # Tom is deleted: his buttons under an older answer are refused kindly.
        (page,) = await chat(anna, "/contact Tom")
        asked = await press_and_see_edit(anna, page, "🗑 Löschen")
        await press_and_see_edit(anna, asked, "Ja, löschen")
        press = await anna.press(third, "⏰ Erinnerung")
        assert (await anna.wait_callback_answer(press)).text == "Dieser Knopf ist nicht mehr aktiv."


async def test_an_english_reflection_names_the_contact_and_starts_a_commitment(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ben = await member_in_chat(sim, runtime, "Ben", "en")
    await chat_saying_yes(ben, "/contact Tom every 4 weeks")
    await chat(ben, "/next")
    answer = await _reflect(ben, "I haven't heard from Tom in ages, I miss our talks.")
    first, contact, theme = (answer.text or "").split("\n")
    assert "✓" in first and "Tom" not in first
    assert contact == "You haven't logged a meeting with Tom yet."
    assert theme.startswith("🧭 ")
    assert labels(answer) == _STEPS_EN
    await ben.press(answer, "📌 Commitment")
    assert "What will you do for Tom?" in ((await ben.next_message()).text or "")


async def test_a_name_that_is_no_contact_is_offered_and_made_only_on_yes(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    lea = await member_in_chat(sim, runtime, "Lea", "de")
    await chat(lea, "/next")
    answer = await _reflect(lea, "Heute hat mich Lisa angerufen, das hat mich sehr gefreut.")
    first, offer, _theme = (answer.text or "").split("\n")
    assert "Lisa" not in first
    assert offer == "Lisa ist noch nicht in deinen Kontakten."
    assert labels(answer) == ["👤 Neuer Kontakt: Lisa?"]
    assert await _contacts(runtime) == []

    asked = await press_and_see_edit(lea, answer, "👤 Neuer Kontakt: Lisa?")
    assert (asked.text or "").startswith("Neuer Kontakt: Lisa?")
    assert labels(asked) == ["✓ Ja, neuer Kontakt", "Nein, danke"]
    assert await _contacts(runtime) == []
    made = await press_and_see_edit(lea, asked, "✓ Ja, neuer Kontakt")
    assert (made.text or "").startswith("Lisa ist jetzt in deinen Kontakten ✓")
    assert labels(made) == _STEPS_DE
    assert await _contacts(runtime) == ["Lisa"]

    # Lisa is known from now on: the next note about her names her, and offers nothing new.
    again = await _reflect(lea, "Lisa und ich planen ein gemeinsames Frühstück.")
    assert "Ein Treffen mit Lisa hast du noch nicht festgehalten." in (again.text or "")
    assert labels(again) == _STEPS_DE
    # German nouns are not taken for names: nothing is offered.
    nouns = await _reflect(lea, "Das Meeting mit Freude und Energie war ein guter Anfang.")
    assert len((nouns.text or "").split("\n")) == 2 and labels(nouns) == []
    assert await _contacts(runtime) == ["Lisa"]


async def test_an_offered_name_can_be_declined_and_nobody_else_can_take_it(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    eva = await member_in_chat(sim, runtime, "Eva", "en")
    dan = await member_in_chat(sim, runtime, "Dan", "en")
    await chat(eva, "/next")
    answer = await _reflect(eva, "Had a long talk with Sarah Miller about the conference.")
    assert "Sarah Miller isn't one of your contacts yet." in (answer.text or "")
    asked = await press_and_see_edit(eva, answer, "👤 New contact: Sarah Miller?")
    declined = await press_and_see_edit(eva, asked, "No, thanks")
    assert declined.text == "Alright, no new contact." and labels(declined) == []
    assert await _contacts(runtime) == []

    async with runtime.sessions() as session:
        note = (await session.execute(select(Reflection))).scalar_one()
    (help_text,) = await chat(dan, "/help")
    for kind in ("ra", "ry", "rn"):
        pressed = await dan.press_forged(help_text, f"{kind}:{note.id}")
        assert (await dan.wait_callback_answer(pressed)).text == "This button is no longer active."
    assert await _contacts(runtime) == []


@pytest.mark.parametrize(
    ("language", "notes", "praise"),
    [
        (
            "de",
            [
                "Ich habe heute lange über Vertrauen nachgedacht.",
                "Beim Verein habe ich zuerst etwas gegeben.",
                "asdf",
                "ok",
                "Das Gespräch am Abend war offen und ehrlich.",
                "Nächste Woche will ich mehr zuhören.",
                "ok",
                "Ich merke, dass kleine Schritte reichen.",
            ],
            ("Danke", "Gut, dass"),
        ),
        (
            "en",
            [
                "I thought about trust for a long time today.",
                "At the club I gave something first.",
                "asdf",
                "ok",
                "The talk in the evening was open and honest.",
                "Next week I want to listen more.",
                "ok",
                "I notice that small steps are enough.",
            ],
            ("Thanks", "Good that"),
        ),
    ],
)
async def test_receipts_never_repeat_and_an_empty_note_gets_no_praise(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    language: str,
    notes: list[str],
    praise: tuple[str, ...],
) -> None:
    cleo = await member_in_chat(sim, runtime, "Cleo", language)
    await chat(cleo, "/next")
    answers = [(await _reflect(cleo, note)).text or "" for note in notes]
    receipts = [answer.split("\n")[0] for answer in answers]
    assert all(before != after for before, after in pairwise(receipts))
    assert len(set(receipts)) >= 6
    for note, answer in zip(notes, answers, strict=True):
        if note in ("asdf", "ok"):  # one honest line: no praise, no principle
            assert "\n" not in answer and "🧭" not in answer
            assert not answer.startswith(praise)
        else:
            assert answer.split("\n")[-1].startswith("🧭 ")


async def test_nothing_written_about_tom_is_quoted_in_a_group(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    fay = await member_in_chat(sim, runtime, "Fay", "de")
    await chat_saying_yes(fay, "/met Tom")
    await chat(fay, "/next")
    group = sim.group("Stammtisch", members=[fay])
    group.add_bot(fay)
    await group.send(fay, "/reflect Von Tom habe ich lange nichts gehört")
    line = await group.next_message()
    await group.send(fay, "Von Tom habe ich lange nichts gehört")
    with pytest.raises(TimeoutError):  # plain text in a group gets no answer at all
        await group.next_message(timeout=1.0)
    assert "Tom" not in (line.text or "") and labels(line) == []
    assert [m.text for m in group.messages if m.from_bot] == [line.text]
    async with runtime.sessions() as session:
        assert (await session.execute(select(Reflection))).scalars().all() == []
