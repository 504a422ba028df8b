"""A month with netcoach as a new member lives it: the answers around the cards (issue 15).

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin, 08:00 in London)
and moved by the tests; the dispatcher is woken as its tick would wake it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Commitment, Contact, ConversationState, Interaction
from tests.support.contacts import chat_saying_yes
from tests.support.harness import chat, edited, texts_until_quiet
from tests.support.members import add_members

_LATER = datetime(2030, 1, 1, tzinfo=UTC)


async def _tick(bot: NetcoachApplication) -> None:
    """What the repeating job does, run to completion."""
    dispatcher = bot.bot_data.dispatcher
    dispatcher.kick()
    await dispatcher.idle()


async def _member(sim: TelegramSimulator, runtime: Runtime, name: str, language: str) -> SimUser:
    user = sim.user(name, language_code=language)
    zone = "Europe/Berlin" if language == "de" else "Europe/London"
    # Weekly prompts are years away: these stories are about the answers around them.
    await add_members(runtime, [user.id], timezone=zone, language=language, next_prompt_at=_LATER)
    return user


def _labels(message: SimMessage) -> list[str]:
    return [button.text for button in message.buttons]


async def test_resume_releases_the_follow_ups_and_check_ins_the_pause_held(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ivy = await _member(sim, runtime, "Ivy", "en")
    await chat_saying_yes(ivy, "/commit call Priya in 2 days")
    await chat_saying_yes(ivy, "/contact Tom every 1 week")
    (paused,) = await chat(ivy, "/pause 3w")
    assert "Paused until Thu, 17 Dec" in (paused.text or "")
    clock.advance(timedelta(days=8))  # the follow-up and the check-in fall due, and wait
    await _tick(bot)
    assert await texts_until_quiet(ivy) == []
    clock.advance(timedelta(days=1))
    await chat(ivy, "/resume")
    await _tick(bot)
    # Both fell due while paused: they come together, as one digest.
    (text,) = await texts_until_quiet(ivy)
    assert "call Priya (Priya) was due Sat, 28 Nov" in text
    assert "stay in touch with Tom every week" in text


async def test_a_date_in_another_year_shows_the_year_and_one_just_past_is_asked_again(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    clock.advance(timedelta(days=10))  # Sunday 6 Dec 2026
    jo = await _member(sim, runtime, "Jo", "de")
    (new,) = await chat(jo, "/commit Anna anrufen am 1.12.")
    await jo.press(new, "✓ Ja, neuer Kontakt")
    ask = await jo.next_message()
    assert "schon hinter dir" in (ask.text or "") and "Jahreszahl" in (ask.text or "")
    assert "Bis wann?" in (ask.text or "")
    (made,) = await chat(jo, "1.12.2027")
    assert "fällig Mi., 1. Dez. 2027, 09:00" in (made.text or "")
    made = await chat_saying_yes(jo, "/commit Tom anrufen am 15.12.")
    assert "fällig Di., 15. Dez., 09:00" in (made.text or "")  # this year: no year
    (listing,) = await chat(jo, "/commitments")
    assert "1. Dez. 2027" in (listing.text or "") and "15. Dez., 09:00" in (listing.text or "")

    max_ = await _member(sim, runtime, "Max", "en")
    (new,) = await chat(max_, "/commit call Anna on 1 December")
    await max_.press(new, "✓ Yes, new contact")
    ask = await max_.next_message()
    assert "already passed" in (ask.text or "") and "with the year" in (ask.text or "")
    assert "By when?" in (ask.text or "")
    (made,) = await chat(max_, "3 January")
    assert "due Sun, 3 Jan 2027, 09:00" in (made.text or "")


async def _stored(runtime: Runtime) -> tuple[int, int, int]:
    """Commitments, contacts and open drafts stored for anyone."""
    async with runtime.sessions() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Commitment, Contact, ConversationState)
        ]
    return counts[0] or 0, counts[1] or 0, counts[2] or 0


async def test_every_flow_can_be_left_with_nothing_saved_in_german_and_english(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    kai = await _member(sim, runtime, "Kai", "de")
    (who,) = await chat(kai, "/commit 🎉🎉🎉")
    assert "Um wen geht es?" in (who.text or "") and "✖ Abbrechen" in _labels(who)
    (left,) = await chat(kai, "/cancel")
    assert "Abgebrochen ✓" in (left.text or "")
    assert await _stored(runtime) == (0, 0, 0)

    (who,) = await chat(kai, "/commit 🎉🎉🎉")
    (what,) = await chat(kai, "Niemand")  # a name, then: what? (emoji say nothing to do)
    assert "Neuer Kontakt: Niemand?" in (what.text or "")
    await kai.press(what, "Niemand Bestimmtes")
    assert "Was nimmst du dir vor?" in ((await kai.next_message()).text or "")
    (left,) = await chat(kai, "abbrechen")
    assert "Abgebrochen ✓" in (left.text or "")
    assert await _stored(runtime) == (0, 0, 0)

    when = await chat_saying_yes(kai, "/commit Anna anrufen")
    assert "Bis wann?" in (when.text or "")
    await kai.press(when, "✖ Abbrechen")
    left = await edited(kai, when)
    assert "Abgebrochen ✓" in (left.text or "") and left.buttons == []
    assert await _stored(runtime) == (0, 0, 0)
    (nothing,) = await chat(kai, "/cancel")
    assert "nichts offen" in (nothing.text or "")

    lou = await _member(sim, runtime, "Lou", "en")
    await chat(lou, "/next")
    (asked,) = await chat(lou, "/reflect")
    assert "✖ Cancel" in _labels(asked)
    (left,) = await chat(lou, "Cancel")
    assert "Cancelled ✓ Nothing of it was saved." in (left.text or "")
    (who,) = await chat(lou, "/commit")
    await lou.press(who, "✖ Cancel")
    assert "Cancelled ✓" in ((await edited(lou, who)).text or "")
    assert await _stored(runtime) == (0, 0, 0)


async def test_the_new_date_and_the_schedule_questions_can_be_left_too(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    gus = await _member(sim, runtime, "Gus", "de")
    await chat_saying_yes(gus, "/commit Tom anrufen morgen")
    (listing,) = await chat(gus, "/commitments")
    await gus.press(listing, "1. Tom anrufen")
    item = await gus.next_message()
    await gus.press(item, "🗓 Neu vereinbaren")
    *_, ask = [await gus.next_message() for _ in range(3)]  # the message for Tom, the question
    assert "neue Datum" in (ask.text or "") and _labels(ask)[-1] == "✖ Abbrechen"
    await gus.press(ask, "✖ Abbrechen")
    assert "Abgebrochen ✓" in ((await edited(gus, ask)).text or "")
    async with runtime.sessions() as session:
        (commitment,) = (await session.execute(select(Commitment))).scalars()
    assert (commitment.renegotiations, commitment.due_at) == (
        0,
        datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
    )
    assert await _stored(runtime) == (1, 1, 0)

    (settings,) = await chat(gus, "/settings")
    await gus.press(settings, "Wochentag und Uhrzeit")
    weekday = await gus.next_message()
    assert _labels(weekday)[-1] == "✖ Abbrechen"
    await gus.press(weekday, "Fr.")
    time = await gus.next_message()
    assert _labels(time)[-1] == "✖ Abbrechen"
    await gus.press(time, "✖ Abbrechen")
    assert "Abgebrochen ✓" in ((await edited(gus, time)).text or "")
    (settings,) = await chat(gus, "/settings")
    assert "jeden Donnerstag um 09:00 Uhr" in (settings.text or "")

    hal = sim.user("Hal", language_code="en")
    _, language = await chat(hal, "/start", replies=2)
    assert _labels(language) == ["Deutsch", "English", "✖ Cancel"]
    await hal.press(language, "✖ Cancel")
    assert "/start" in ((await edited(hal, language)).text or "")  # set-up waits for /start


async def test_a_new_commit_while_one_waits_for_its_date_asks_which_to_keep(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    mia = await _member(sim, runtime, "Mia", "de")
    when = await chat_saying_yes(mia, "/commit Anna anrufen")
    assert "Bis wann?" in (when.text or "")
    (which,) = await chat(mia, "/commit Tom schreiben bis Freitag")
    assert "„Anna anrufen“" in (which.text or "") and "„Tom schreiben bis Freitag“" in (
        which.text or ""
    )
    assert _labels(which) == ["Bisherige behalten", "Neue nehmen", "✖ Abbrechen"]
    await mia.press(which, "Neue nehmen")
    new = await mia.next_message()
    assert (new.text or "").startswith("Neuer Kontakt: Tom?")
    await mia.press(new, "✓ Ja, neuer Kontakt")
    made = await mia.next_message()
    assert "Tom schreiben\nTom · fällig Fr., 27. Nov., 09:00" in (made.text or "")
    assert await _stored(runtime) == (1, 1, 0)

    ned = await _member(sim, runtime, "Ned", "en")
    await chat_saying_yes(ned, "/commit call Anna")
    (which,) = await chat(ned, "/commit email Tom by Friday")
    await ned.press(which, "Keep the earlier one")
    when = await ned.next_message()
    assert "By when?" in (when.text or "")
    (made,) = await chat(ned, "Friday")
    assert "call Anna" in (made.text or "") and "due Fri, 27 Nov" in (made.text or "")


async def test_both_counts_as_given_and_received_and_yesterday_is_logged_as_yesterday(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ola = await _member(sim, runtime, "Ola", "de")
    met = await chat_saying_yes(ola, "/met Tom")
    await ola.press(met, "Beides")
    await edited(ola, met)
    (contacts,) = await chat(ola, "/contacts")
    assert "gegeben 1 / bekommen 1" in (contacts.text or "")

    pia = await _member(sim, runtime, "Pia", "en")
    met = await chat_saying_yes(pia, "/met Priya yesterday")
    assert "You were in touch with Priya on Wed, 25 Nov." in (met.text or "")
    (contacts,) = await chat(pia, "/contacts")
    assert "Priya\nLast contact: Wed, 25 Nov, 08:00" in (contacts.text or "")
    (met,) = await chat(pia, "/met Priya vorgestern beim Kaffee")
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Interaction).order_by(Interaction.id))).scalars()
        logged = [(row.created_at, row.note) for row in rows]
    assert logged[-2:] == [
        (datetime(2026, 11, 25, 8, 0, tzinfo=UTC), None),
        (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), "beim Kaffee"),
    ]
    (contacts,) = await chat(pia, "/contacts")  # the later meeting stays the last one
    assert "Last contact: Wed, 25 Nov, 08:00" in (contacts.text or "")


async def test_a_new_name_is_confirmed_before_it_becomes_a_contact_and_known_ones_come_first(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    quinn = await _member(sim, runtime, "Quinn", "de")
    (new,) = await chat(quinn, "/commit Ben nächste Woche Dienstag treffen")  # one question
    assert (new.text or "").startswith("Neuer Kontakt: Ben?")
    assert _labels(new) == [
        "✓ Ja, neuer Kontakt", "Jemand anderes", "Niemand Bestimmtes", "✖ Abbrechen",
    ]  # fmt: skip
    assert await _stored(runtime) == (0, 0, 1)
    await quinn.press(new, "✓ Ja, neuer Kontakt")
    made = await quinn.next_message()  # the date was understood, and left the action
    assert "Abgemacht ✓\nBen treffen\nBen · fällig Di., 1. Dez., 09:00" in (made.text or "")

    (new,) = await chat(quinn, "/met Niemand")
    assert (new.text or "").startswith("Neuer Kontakt: Niemand?")
    await quinn.press(new, "✖ Abbrechen")
    assert "Abgebrochen ✓" in ((await edited(quinn, new)).text or "")
    (made,) = await chat(quinn, "/commit dem Ben Bescheid geben bis Freitag")  # known: no question
    assert "Ben · fällig Fr., 27. Nov." in (made.text or "")
    async with runtime.sessions() as session:
        names = (await session.execute(select(Contact.name))).scalars().all()
    assert names == ["Ben"]

    rae = await _member(sim, runtime, "Rae", "en")
    (new,) = await chat(rae, "/met Priya")
    assert (new.text or "").startswith("New contact: Priya?")
    await rae.press(new, "✓ Yes, new contact")
    assert "You were in touch with Priya." in ((await edited(rae, new)).text or "")
    (met,) = await chat(rae, "/met priya")
    assert "You were in touch with Priya." in (met.text or "")


async def test_a_cadence_for_a_new_name_asks_first_and_a_known_name_is_set_at_once(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    tia = await _member(sim, runtime, "Tia", "de")
    (new,) = await chat(tia, "/contact Tim alle 4 Wochen")
    assert (new.text or "").startswith("Neuer Kontakt: Tim?")
    assert "4 Wochen lang" in (new.text or "")
    assert _labels(new) == ["✓ Ja, neuer Kontakt", "✖ Abbrechen"]
    assert await _stored(runtime) == (0, 0, 1)  # nothing but the waiting question
    await tia.press(new, "✖ Abbrechen")
    assert "Abgebrochen ✓" in ((await edited(tia, new)).text or "")
    assert await _stored(runtime) == (0, 0, 0)

    (new,) = await chat(tia, "/contact Tim alle 4 Wochen")
    await tia.press(new, "✓ Ja, neuer Kontakt")
    done = await edited(tia, new)
    assert "Wenn du 4 Wochen lang keinen Kontakt mit Tim hattest" in (done.text or "")
    assert _labels(done) == []
    (again,) = await chat(tia, "/contact tim alle 2 Wochen")  # known now: no question
    assert "Wenn du 2 Wochen lang keinen Kontakt mit Tim hattest" in (again.text or "")
    (unknown,) = await chat(tia, "/contact Tom aus")  # nobody to stop reminding of
    assert "Einen Kontakt „Tom“ habe ich nicht" in (unknown.text or "")
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Contact.name, Contact.cadence_days))).all()
    assert [tuple(row) for row in rows] == [("Tim", 14)]

    eli = await _member(sim, runtime, "Eli", "en")
    (new,) = await chat(eli, "/contact Sam every 2 weeks")
    assert (new.text or "").startswith("New contact: Sam?") and "2 weeks" in (new.text or "")
    await eli.press(new, "✓ Yes, new contact")
    done = await edited(eli, new)
    assert "If you haven't been in touch with Sam for 2 weeks" in (done.text or "")


async def test_an_unclear_date_is_said_with_the_date_question_after_the_new_name_is_confirmed(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ugo = await _member(sim, runtime, "Ugo", "de")
    (new,) = await chat(ugo, "/commit Ben bis 15 treffen")  # the 15th, or 15:00?
    assert (new.text or "").startswith("Neuer Kontakt: Ben?") and "Datum" not in (new.text or "")
    await ugo.press(new, "✓ Ja, neuer Kontakt")
    ask = await ugo.next_message()  # the date's trouble, the question and its buttons: one
    unsure = "Ich bin nicht sicher, welches Datum du meinst.\n\nBis wann?"
    assert (ask.text or "").startswith(unsure)
    assert _labels(ask) == [
        "Morgen", "In 3 Tagen", "Nächste Woche", "Anderes Datum", "✖ Abbrechen",
    ]  # fmt: skip
    (made,) = await chat(ugo, "15.12.")  # the next message answers this: nothing came between
    assert "Abgemacht ✓\nBen treffen\nBen · fällig Di., 15. Dez., 09:00" in (made.text or "")

    (ask,) = await chat(ugo, "/commit Ben anrufen gestern")  # Ben is known now: no question
    assert (ask.text or "").startswith("Dieser Zeitpunkt liegt schon hinter dir.")
    assert "Bis wann?" in (ask.text or "") and _labels(ask)[0] == "Morgen"

    ivo = await _member(sim, runtime, "Ivo", "en")
    (new,) = await chat(ivo, "/commit call Priya by 3/4")
    assert (new.text or "").startswith("New contact: Priya?") and "date" not in (new.text or "")
    await ivo.press(new, "✓ Yes, new contact")
    ask = await ivo.next_message()
    assert (ask.text or "").startswith("I'm not sure which date you mean.\n\nBy when?")
    assert _labels(ask) == ["Tomorrow", "In 3 days", "Next week", "Another date", "✖ Cancel"]
    await ivo.press(ask, "In 3 days")
    made = await ivo.next_message()
    assert "Got it ✓\ncall Priya\nPriya · due Sun, 29 Nov, 09:00" in (made.text or "")
    (made,) = await chat(ivo, "/commit call Priya next Tuesday")
    assert "Got it ✓\ncall Priya\nPriya · due Tue, 1 Dec, 09:00" in (made.text or "")


async def test_before_set_up_is_done_each_answer_names_what_is_missing_with_its_button(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    for name, language, zone, missing, button in (
        ("Sam", "Deutsch", "Berlin", "Wochentag und die Uhrzeit", "Wochentag und Uhrzeit"),
        ("Tess", "English", "London", "weekday and time", "Day and time"),
    ):
        user = sim.user(name, language_code="de" if language == "Deutsch" else "en")
        _, ask_language = await chat(user, "/start", replies=2)
        await user.press(ask_language, language)
        await user.next_message()  # which zone?
        for text in ("/next", "/commit Anna anrufen morgen", "/reflect hi"):
            (answer,) = await chat(user, text)
            assert "Zeitzone" in (answer.text or "") or "time zone" in (answer.text or ""), text
            assert _labels(answer) == ["Zeitzone" if language == "Deutsch" else "Time zone"]
        await chat(user, f"/timezone {zone}", replies=2)  # the zone, then which weekday?
        for text in ("/next", "/commit Anna anrufen morgen", "/reflect hi"):
            (answer,) = await chat(user, text)
            assert missing in (answer.text or ""), (text, answer.text)
            assert "/next" not in (answer.text or "") and "Zeitzone" not in (answer.text or "")
            assert _labels(answer) == [button]
        await user.press(answer, button)
        weekday = await user.next_message()  # which day? (no "welcome back" mid-set-up)
        assert _labels(weekday)[:2] in (["Mo.", "Di."], ["Mon", "Tue"])


async def test_help_apology_welcome_and_language_say_the_right_thing(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uma = sim.user("Uma", language_code="de")
    welcome, _ = await chat(uma, "/start", replies=2)
    for stored in ("Vorhaben und Kontakte", "welche Nachrichten ich dir geschickt habe"):
        assert stored in (welcome.text or "")  # as /privacy lists them
    (help_,) = await chat(uma, "/help")
    for command in ("/export", "/delete", "/cancel"):
        assert command in (help_.text or "")
    # The member controls: edit a note, open and delete it, a contact's page, undo.
    for control in ("bearbeite einfach deine Nachricht", "📖", "🗑", "/contact Anna –", "↩️"):
        assert control in (help_.text or ""), control
    (privacy,) = await chat(uma, "/privacy")
    assert "5 Minuten lang" in (privacy.text or "") and "nie einen Text" in (privacy.text or "")
    (switched,) = await chat(uma, "/language english")
    assert "Which time zone" in (switched.text or "")  # set-up goes on, in English
    await chat(uma, "/language deutsch")

    vic = sim.user("Vic", language_code="de")  # Telegram says German, Vic chose English
    await add_members(runtime, [vic.id], language="en", next_prompt_at=_LATER)

    async def broken(*_: object) -> None:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr("bot.domain.contacts.list_contacts", broken)
    monkeypatch.setattr("handlers.commitments.contacts.list_contacts", broken)
    (sorry,) = await chat(vic, "/contacts")
    assert "Something went wrong on my side" in (sorry.text or "")
    (help_,) = await chat(vic, "/help")
    for control in ("simply edit your message", "📖", "🗑", "/contact Anna –", "↩️ Undo"):
        assert control in (help_.text or ""), control
    (privacy,) = await chat(vic, "/privacy")
    assert "For 5 minutes" in (privacy.text or "") and "never a text" in (privacy.text or "")


async def test_praise_drafts_cadences_and_counts_read_right_in_german_and_english(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    wim = await _member(sim, runtime, "Wim", "de")
    cadence = await chat_saying_yes(wim, "/contact Tom alle 4 Wochen")
    assert "Wenn du 4 Wochen lang keinen Kontakt mit Tom hattest" in (cadence.text or "")
    assert "Nächste Nachfrage: Do., 24. Dez., 09:00" in (cadence.text or "")  # this year
    (cadence,) = await chat(wim, "/contact Tom alle 6 Wochen")
    assert "Nächste Nachfrage: Do., 7. Jan. 2027, 09:00" in (cadence.text or "")
    (listing,) = await chat(wim, "/contacts")
    assert "In Kontakt bleiben: alle 6 Wochen" in (listing.text or "")
    await chat_saying_yes(wim, "/commit Tom SMS schreiben in 2 Minuten")
    # Nobody asked meanwhile: the repeating tick must not send the follow-up (its first
    # tick may come after the clock moved, and would answer `/met Tom` below).
    bot.bot_data.dispatcher.stop_ticking()
    await bot.bot_data.dispatcher.idle()  # a run the first tick began ends before the move
    clock.advance(timedelta(days=5))
    (listing,) = await chat(wim, "/commitments")
    await wim.press(listing, "1. Tom SMS schreiben")
    item = await wim.next_message()
    await wim.press(item, "🗓 Neu vereinbaren")
    intro, draft, _ = [await wim.next_message() for _ in range(3)]
    assert "Falls Tom darauf wartet" in (intro.text or "")
    assert "SMS schreiben" not in (draft.text or "") and "später" in (draft.text or "")
    await wim.press(item, "✓ Erledigt")
    done = await edited(wim, item)
    assert "Gut eingehalten" not in (done.text or "") and "später" in (done.text or "")
    for _ in range(2):
        (met,) = await chat(wim, "/met Tom")
        await wim.press(met, "Ich habe bekommen")
        tapped = await edited(wim, met)
    assert "2-mal etwas bekommen und nie gegeben" in (tapped.text or "")

    (page,) = await chat(wim, "/contact Tom")
    await wim.press(page, "⏰ Erinnerung")
    ask = await edited(wim, page)
    await wim.press(ask, "Alle 3 Monate")  # as the button says it, everywhere
    assert "⏰ Erinnerung alle 3 Monate, die nächste am" in ((await edited(wim, ask)).text or "")
    assert "Wenn du 3 Monate lang keinen Kontakt mit Tom hattest" in (
        (await wim.next_message()).text or ""
    )
    (listing,) = await chat(wim, "/contacts")
    assert "In Kontakt bleiben: alle 3 Monate" in (listing.text or "")

    xan = await _member(sim, runtime, "Xan", "en")
    cadence = await chat_saying_yes(xan, "/contact Lea every 1 day")
    assert "for a day" in (cadence.text or "")
    (listing,) = await chat(xan, "/contacts")
    assert "Stay in touch: every day" in (listing.text or "")


async def test_the_commitments_list_marks_what_is_overdue_and_pages_to_the_rest(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    yas = await _member(sim, runtime, "Yas", "de")
    await chat_saying_yes(yas, "/commit Anna anrufen morgen")
    for day in range(2, 7):
        await chat(yas, f"/commit Anna schreiben in {day} Tagen")
    clock.advance(timedelta(days=2))
    (listing,) = await chat(yas, "/commitments")
    assert "Sa., 28. Nov., 09:00 – ⏰ überfällig" in (listing.text or "")
    assert "Mo., 30. Nov., 09:00 – ⏰" not in (listing.text or "")
    assert "Seite 1 von 2" in (listing.text or "") and "Weiter ▶" in _labels(listing)
    await yas.press(listing, "Weiter ▶")
    assert "6. Anna schreiben" in ((await edited(yas, listing)).text or "")

    zed = await _member(sim, runtime, "Zed", "en")
    await chat_saying_yes(zed, "/commit call Anna in 2 hours")
    clock.advance(timedelta(hours=3))
    (listing,) = await chat(zed, "/commitments")
    assert "– ⏰ overdue" in (listing.text or "")


async def test_a_weak_place_is_offered_never_applied_and_abbreviations_name_their_zone(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ada = await _member(sim, runtime, "Ada", "de")
    (choice,) = await chat(ada, "/timezone Atlantis")
    assert "Meinst du diesen Ort?" in (choice.text or "")
    assert _labels(choice) == ["Atlantis, ZA"]
    (settings,) = await chat(ada, "/settings")
    assert "Europe/Berlin" in (settings.text or "")  # nothing applied unasked
    for typed, zone in (
        ("MEZ", "Europe/Berlin"),
        ("UTC+2", "Europe/Athens"),
        ("EST", "America/New_York"),
    ):
        confirmation, *_ = await chat(ada, f"/timezone {typed}", replies=2)
        assert f"Zeitzone: {zone}" in (confirmation.text or ""), typed

    bea = await _member(sim, runtime, "Bea", "en")
    (choice,) = await chat(bea, "/timezone Portland")
    assert _labels(choice) == ["Portland, OR, US", "Portland, ME, US"]
    (confirmation, _) = await chat(bea, "/timezone CET", replies=2)
    assert "Time zone: Europe/Berlin" in (confirmation.text or "")


async def test_snoozes_pauses_and_pages_across_the_new_year_say_which_year(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    clock.advance(timedelta(days=24))  # Sunday 20 Dec 2026
    ria = await _member(sim, runtime, "Ria", "de")
    await chat_saying_yes(ria, "/contact Tom jede Woche")
    clock.advance(timedelta(days=7))  # Sunday 27 Dec: Tom's check-in is due
    await _tick(bot)
    checkin = await ria.next_message()
    await ria.press(checkin, "💤 1 Woche")
    snoozed = await edited(ria, checkin)
    assert "ich frage am So., 3. Jan. 2027, 09:00 wieder nach" in (snoozed.text or "")
    (page,) = await chat(ria, "/contact Tom")
    assert "die nächste am So., 3. Jan. 2027, 09:00" in (page.text or "")
    (paused,) = await chat(ria, "/pause 3w")
    assert "Pausiert bis So., 17. Jan. 2027" in (paused.text or "")
    await chat(ria, "/resume")

    sol = await _member(sim, runtime, "Sol", "en")
    await chat_saying_yes(sol, "/commit call Priya tomorrow")
    (listing,) = await chat(sol, "/commitments")
    await sol.press(listing, "1. call Priya")
    item = await sol.next_message()
    assert "due Mon, 28 Dec, 09:00" in (item.text or "")  # this year: no year
    await sol.press(item, "💤 1 week")
    snoozed = await edited(sol, item)
    assert "due Mon, 28 Dec, 09:00" in (snoozed.text or "")
    assert "I'll ask again on Sun, 3 Jan 2027, 08:00" in (snoozed.text or "")

    await chat(ria, "/met Tom")
    clock.advance(timedelta(days=10))  # Wednesday 6 Jan 2027
    (listing,) = await chat(ria, "/contacts")
    assert "Letzter Kontakt: So., 27. Dez. 2026, 09:00" in (listing.text or "")


async def test_a_follow_up_asked_in_the_new_year_says_which_year_it_was_due(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    clock.advance(timedelta(days=34))  # Wednesday 30 Dec 2026
    cam = await _member(sim, runtime, "Cam", "en")
    await chat_saying_yes(cam, "/commit call Anna tomorrow")
    await chat(cam, "/pause 5d")
    clock.advance(timedelta(days=6))
    await _tick(bot)  # the pause is over: the member is active again
    await _tick(bot)
    texts = await texts_until_quiet(cam)
    assert any("was due Thu, 31 Dec 2026, 09:00" in text for text in texts), texts


async def test_who_wrote_before_start_is_welcomed_and_only_a_begun_set_up_is_welcomed_back(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    dev = sim.user("Dev", language_code="de")
    await chat(dev, "/help")
    welcome, ask = await chat(dev, "/start", replies=2)
    assert "Hallo Dev!" in (welcome.text or "") and "Sprache" in (ask.text or "")
    await dev.press(ask, "English")
    await dev.next_message()  # which time zone?
    (missing,) = await chat(dev, "/next")
    await dev.press(missing, "Time zone")
    assert "Which time zone" in ((await dev.next_message()).text or "")  # no "welcome back"
    back, _ = await chat(dev, "/start", replies=2)
    assert "Good to have you back" in (back.text or "")
