"""A contact's page: `/contact Anna` shows Anna, and everything about Anna is done from there.

Members are set up already (weekly slot Thursday 09:00 local, prompts years away); the
clock is frozen at Thursday 26 Nov 2026, 08:00 UTC. Names are encrypted at rest.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.models import Commitment, Contact, Interaction
from tests.support.contacts import chat_saying_yes
from tests.support.harness import chat, labels, press_and_see_edit, texts_until_quiet
from tests.support.members import member_in_chat, sealed  # noqa: F401 (a fixture)

_PAGE_BUTTONS_DE = [
    "🤝 Treffen festhalten",
    "📌 Vorhaben",
    "⏰ Erinnerung",
    "✏️ Umbenennen",
    "🔀 Zusammenführen",
    "🗑 Löschen",
]


pytestmark = pytest.mark.usefixtures("sealed")


async def _contacts(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return [c.name for c in (await session.execute(select(Contact))).scalars()]


async def test_anna_s_page_shows_what_happened_and_every_button_acts(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    lea = await member_in_chat(sim, runtime, "Lea", "de")
    await chat_saying_yes(lea, "/commit Anna anrufen bis Freitag")
    (met,) = await chat(lea, "/met Anna Kaffee im Büro")
    await press_and_see_edit(lea, met, "Ich habe gegeben")

    (page,) = await chat(lea, "/contact Anna")
    text = page.text or ""
    assert text.startswith("Anna\n⏰ Keine Erinnerung eingestellt.")
    assert "gegeben 1 · bekommen 0 · beides 0" in text
    assert "⏳ Anna anrufen – fällig Fr., 27. Nov., 09:00" in text
    assert "🤝 Kontakt am Do., 26. Nov., 09:00: Kaffee im Büro · du hast gegeben" in text
    assert labels(page) == _PAGE_BUTTONS_DE

    ask = await press_and_see_edit(lea, page, "⏰ Erinnerung")
    assert "Wie oft soll ich dich an Anna erinnern" in (ask.text or "")
    assert labels(ask) == [
        "Alle 2 Wochen",
        "Alle 4 Wochen",
        "Alle 3 Monate",
        "Keine Erinnerung",
        "◀ Zu Anna",
    ]
    page = await press_and_see_edit(lea, ask, "Alle 4 Wochen")
    assert "⏰ Erinnerung alle 4 Wochen, die nächste am Do., 24. Dez." in (page.text or "")
    confirmed = (await lea.next_message()).text or ""  # as `/contact Anna alle 4 Wochen` says it
    assert "Anna" in confirmed and "Do., 24. Dez." in confirmed

    page = await press_and_see_edit(lea, page, "🤝 Treffen festhalten")
    logged = await lea.next_message()
    assert "Festgehalten ✓ Du hattest Kontakt mit Anna." in (logged.text or "")
    assert "Ich habe bekommen" in labels(logged)
    assert "🤝 Kontakt am Do., 26. Nov., 09:00\n" in (page.text or "")

    await lea.press(page, "📌 Vorhaben")
    what = await lea.next_message()
    assert "Anna" in (what.text or "")
    (made,) = await chat(lea, "Blumen schicken")
    assert "Bis wann?" in (made.text or "")
    await lea.press(made, "Morgen")
    assert "Abgemacht ✓" in ((await lea.next_message()).text or "")
    (page,) = await chat(lea, "/contact anna")  # any case: the blind index finds her
    assert "⏳ Blumen schicken" in (page.text or "")


async def test_renaming_merging_and_deleting_a_contact(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    max_ = await member_in_chat(sim, runtime, "Max", "en")
    await chat_saying_yes(max_, "/met Tom lunch")
    await chat_saying_yes(max_, "/met Ben")
    await chat(max_, "/commit call Tom by Friday")

    (page,) = await chat(max_, "/contact Tom")
    ask = await press_and_see_edit(max_, page, "✏️ Rename")
    assert "What should Tom be called?" in (ask.text or "")
    (renamed,) = await chat(max_, "Thomas Berg")
    assert "Renamed ✓ Tom is now Thomas Berg." in (renamed.text or "")
    assert labels(renamed) == ["◀ Back to Thomas Berg"]
    (unknown,) = await chat(max_, "/contact Tom")
    assert "I have no contact called “Tom”" in (unknown.text or "")
    assert sorted(await _contacts(runtime)) == ["Ben", "Thomas Berg"]

    # A name another contact has: the same person? Merge, after a confirm.
    (page,) = await chat(max_, "/contact Thomas Berg")
    await press_and_see_edit(max_, page, "✏️ Rename")
    (taken,) = await chat(max_, "ben")
    assert "There is a contact “Ben” already" in (taken.text or "")
    confirm = await press_and_see_edit(max_, taken, "🔀 Merge into Ben")
    assert "Merge “Thomas Berg” into “Ben”?" in (confirm.text or "")
    assert labels(confirm) == ["Yes, merge", "◀ Back to Thomas Berg"]
    merged = await press_and_see_edit(max_, confirm, "Yes, merge")
    assert "Merged ✓ Everything about Thomas Berg is now with Ben." in (merged.text or "")
    assert await _contacts(runtime) == ["Ben"]
    ben = await press_and_see_edit(max_, merged, "◀ Back to Ben")
    assert "call Tom – due" in (ben.text or "") and "In touch on" in (ben.text or "")
    assert (ben.text or "").count("🤝 In touch") == 2

    # Delete: asked first; "back" keeps everything; the commitment stays, without a name.
    meet = next(button.data for button in ben.buttons if button.text == "🤝 Log a meeting")
    ask = await press_and_see_edit(max_, ben, "🗑 Delete")
    assert "Delete Ben?" in (ask.text or "")
    ben = await press_and_see_edit(max_, ask, "◀ Back to Ben")
    ask = await press_and_see_edit(max_, ben, "🗑 Delete")
    gone = await press_and_see_edit(max_, ask, "Yes, delete")
    assert "Deleted ✓ Ben is no longer among your contacts." in (gone.text or "")
    async with runtime.sessions() as session:
        assert (await session.execute(select(Contact))).first() is None
        assert (await session.execute(select(Interaction))).first() is None
        commitment = (await session.execute(select(Commitment))).scalar_one()
        assert commitment.action == "call Tom" and commitment.contact_id is None
    # The page's buttons are stale now: answered kindly, nothing happens.
    answer = await max_.wait_callback_answer(await max_.press_forged(gone, meet))
    assert answer.text == "This button is no longer active."
    assert await texts_until_quiet(max_) == []


async def test_merging_from_the_page_offers_the_other_contacts(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ida = await member_in_chat(sim, runtime, "Ida", "de")
    for name in ("Jana Meier", "Jana", "Kai"):
        await chat_saying_yes(ida, f"/met {name}")
    (page,) = await chat(ida, "/contact Jana Meier")
    which = await press_and_see_edit(ida, page, "🔀 Zusammenführen")
    assert "Mit wem soll Jana Meier zusammengeführt werden?" in (which.text or "")
    assert labels(which) == ["Kai", "Jana", "◀ Zu Jana Meier"]
    confirm = await press_and_see_edit(ida, which, "Jana")
    done = await press_and_see_edit(ida, confirm, "Ja, zusammenführen")
    assert "Zusammengeführt ✓" in (done.text or "")
    assert sorted(await _contacts(runtime)) == ["Jana", "Kai"]


async def test_a_long_history_is_paged_and_leaving_a_rename_keeps_the_name(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ola = await member_in_chat(sim, runtime, "Ola", "en")
    for day in range(11):
        await chat_saying_yes(ola, f"/met Pia day {day}")
        clock.advance(timedelta(days=1))
    (page,) = await chat(ola, "/contact Pia")
    assert "Page 1 of 2" in (page.text or "") and "day 10" in (page.text or "")
    assert labels(page)[-1] == "Next ▶"
    page = await press_and_see_edit(ola, page, "Next ▶")
    assert "Page 2 of 2" in (page.text or "") and "day 0" in (page.text or "")
    assert "day 10" not in (page.text or "")

    ask = await press_and_see_edit(ola, page, "✏️ Rename")
    await press_and_see_edit(ola, ask, "◀ Back to Pia")
    (answer,) = await chat(ola, "just a thought")
    assert "Renamed" not in (answer.text or "") and await _contacts(runtime) == ["Pia"]
    long_name = "P" * 65
    (refused,) = await chat(ola, f"/contact {long_name}")
    assert "64" in (refused.text or "")


async def test_nobody_sees_or_changes_another_members_contact(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    una = await member_in_chat(sim, runtime, "Una", "en")
    vic = await member_in_chat(sim, runtime, "Vic", "en")
    await chat_saying_yes(una, "/met Wes")
    own = await chat_saying_yes(vic, "/met Xia")
    async with runtime.sessions() as session:
        ids = {c.name: c.id for c in (await session.execute(select(Contact))).scalars()}
    wes, xia = ids["Wes"], ids["Xia"]
    for data in (f"pv:{wes}-0", f"pm:{wes}", f"pc:{wes}", f"pd:{wes}-28", f"pe:{wes}",
                 f"pj:{wes}-0", f"pq:{xia}-{wes}", f"pg:{xia}-{wes}", f"pg:{wes}-{xia}",
                 f"px:{wes}", f"py:{wes}", f"pd:{xia}-999", "pv:x", "pv:1-x"):  # fmt: skip
        answer = await vic.wait_callback_answer(await vic.press_forged(own, data))
        assert answer.text == "This button is no longer active.", data
    assert await texts_until_quiet(vic) == []
    assert sorted(await _contacts(runtime)) == ["Wes", "Xia"]
