"""A member's hold on their journal: edit a note by editing the message, open it, delete it.

Members are set up already; the clock is frozen (Thursday 26 Nov 2026). Notes are
encrypted at rest in these stories, as an operator who promises discretion runs it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Reflection
from tests.support.harness import chat, labels, press_and_see_edit, texts_until_quiet
from tests.support.members import add_members, sealed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("sealed")


async def _member(sim: TelegramSimulator, runtime: Runtime, name: str, language: str) -> SimUser:
    """A member set up already, who has had this week's prompt."""
    user = sim.user(name, language_code=language)
    await add_members(runtime, [user.id], language=language)
    await chat(user, "/next")
    return user


async def _reflect(user: SimUser, words: str) -> tuple[SimMessage, SimMessage]:
    """`/reflect`, then `words`: the member's message and the bot's answer."""
    await chat(user, "/reflect")  # the question again, as an invitation to write
    mine = await user.send(words)
    return mine, await user.next_message()


async def _notes(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Reflection).order_by(Reflection.id))).scalars()
        return [row.text for row in rows]


async def test_editing_the_message_edits_the_note_and_it_stays_sealed(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    anna = await _member(sim, runtime, "Anna", "de")
    mine, saved = await _reflect(anna, "Mit Lena war es schwierig")
    assert "Deine erste Notiz steht in /journal." in (saved.text or "")

    await anna.edit(mine, "Mit Lena war es schwierig, aber ehrlich")
    edited = await anna.next_message()
    assert "Geändert ✓" in (edited.text or "") and "/journal" in (edited.text or "")
    assert await _notes(runtime) == ["Mit Lena war es schwierig, aber ehrlich"]
    (journal,) = await chat(anna, "/journal")
    assert "aber ehrlich" in (journal.text or "")
    # Sealed at rest: the stored form holds no word of it.
    async with runtime.sessions() as session:
        stored = (await session.execute(text("SELECT text FROM reflections"))).scalar_one()
    assert "Lena" not in stored

    # Editing a message that is not a note (a command) changes nothing and says nothing.
    command = await anna.send("/journal")
    await anna.next_message()
    await anna.edit(command, "/help")
    assert await texts_until_quiet(anna) == []


async def test_a_reflect_line_edited_keeps_only_the_thoughts(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ben = await _member(sim, runtime, "Ben", "en")
    line = await ben.send("/reflect Trust grows slowly")
    assert "Your first note is in /journal." in ((await ben.next_message()).text or "")
    await ben.edit(line, "/reflect Trust grows slowly, and it shows")
    edited = await ben.next_message()
    assert "Updated ✓" in (edited.text or "")
    assert await _notes(runtime) == ["Trust grows slowly, and it shows"]

    await ben.edit(line, "/reflect " + "x" * 4097)
    refused = await ben.next_message()
    assert "kept the earlier one" in (refused.text or "")
    assert await _notes(runtime) == ["Trust grows slowly, and it shows"]


async def test_a_journal_entry_opens_in_full_and_is_deleted_only_after_a_confirm(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    cora = await _member(sim, runtime, "Cora", "de")
    long_note = "Ein langer Gedanke. " * 60 + "Das Ende."
    await _reflect(cora, long_note)
    await _reflect(cora, "Kurz notiert")
    (journal,) = await chat(cora, "/journal")
    assert "…" in (journal.text or "")  # the list shows a preview of the long one
    assert labels(journal) == ["📖 1", "📖 2"]

    await cora.press(journal, "📖 2")
    entry = await cora.next_message()
    assert "Das Ende." in (entry.text or "") and "…" not in (entry.text or "")
    assert labels(entry) == ["🗑 Löschen", "◀ Zum Journal"]

    ask = await press_and_see_edit(cora, entry, "🗑 Löschen")
    assert "nicht rückgängig" in (ask.text or "")
    assert labels(ask) == ["Ja, löschen", "Nein, behalten"]
    kept = await press_and_see_edit(cora, ask, "Nein, behalten")
    assert labels(kept) == ["🗑 Löschen", "◀ Zum Journal"]
    assert len(await _notes(runtime)) == 2

    ask = await press_and_see_edit(cora, kept, "🗑 Löschen")
    done = await press_and_see_edit(cora, ask, "Ja, löschen")
    assert "Gelöscht ✓" in (done.text or "")
    assert await _notes(runtime) == ["Kurz notiert"]
    back = await press_and_see_edit(cora, done, "◀ Zum Journal")
    assert "Kurz notiert" in (back.text or "") and "Notiz 1 von 1" in (back.text or "")

    # The old "open" button of the deleted note is answered kindly and shows nothing.
    answer = await cora.wait_callback_answer(await cora.press(journal, "📖 2"))
    assert answer.text == "Dieser Knopf ist nicht mehr aktiv."
    assert await texts_until_quiet(cora) == []


async def test_a_note_longer_than_one_message_opens_in_several(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    dora = await _member(sim, runtime, "Dora", "en")
    note = "🌱 grows " * 450 + "THE END"
    await _reflect(dora, note)
    (journal,) = await chat(dora, "/journal")
    await dora.press(journal, "📖 1")
    first, last = await dora.next_message(), await dora.next_message()
    assert labels(first) == [] and labels(last) == ["🗑 Delete", "◀ Back to the journal"]
    shown = (first.text or "") + " " + (last.text or "")
    assert shown.count("🌱") == 450 and "THE END" in shown


async def test_nobody_opens_or_deletes_another_members_note(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    eli = await _member(sim, runtime, "Eli", "en")
    fay = await _member(sim, runtime, "Fay", "en")
    await _reflect(eli, "Only mine")
    (own,) = await chat(fay, "/journal")
    (eli_note,) = [row for row in await _notes(runtime)]
    async with runtime.sessions() as session:
        note_id = (await session.execute(select(Reflection.id))).scalar_one()
    for kind in ("jo", "jd", "jy", "jk"):
        answer = await fay.wait_callback_answer(await fay.press_forged(own, f"{kind}:{note_id}"))
        assert answer.text == "This button is no longer active."
    assert await texts_until_quiet(fay) == [] and await _notes(runtime) == [eli_note]
