"""Commitments through Telegram: one-line and guided, follow-ups at the due moment, the ledger.

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin, 08:00 in London)
and moved by the tests; the dispatcher is woken as its tick would wake it. Members are
set up already (weekly slot Thursday 09:00 local).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Commitment, CommitmentStatus, Contact
from tests.support.contacts import chat_saying_yes
from tests.support.harness import bot_against, chat, texts_until_quiet
from tests.support.harness import press_and_see_edit as _press
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
    # Weekly prompts are years away: these stories are about commitments.
    await add_members(runtime, [user.id], timezone=zone, language=language, next_prompt_at=_LATER)
    return user


def _labels(message: SimMessage) -> list[str]:
    return [button.text for button in message.buttons]


async def _commitments(runtime: Runtime) -> list[tuple[str, str | None, datetime, str]]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Commitment).order_by(Commitment.id))).scalars()
        result = []
        for row in rows:
            contact = await session.get(Contact, row.contact_id) if row.contact_id else None
            result.append((row.action, contact.name if contact else None, row.due_at, row.status))
        return result


async def test_the_issue_phrases_make_commitments_in_german_and_english(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    anna = await _member(sim, runtime, "Anna", "de")
    ben = await _member(sim, runtime, "Ben", "en")
    made = await chat_saying_yes(anna, "/commit Anna anrufen bis Freitag")
    assert "Abgemacht ✓" in (made.text or "")
    assert "Anna anrufen\nAnna · fällig Fr., 27. Nov., 09:00" in (made.text or "")
    await chat_saying_yes(anna, "/commit Kaffee mit Jana in 2 Wochen")
    await chat_saying_yes(anna, "/commit Einladung an Lea morgen 9 Uhr")
    made = await chat_saying_yes(ben, "/commit call Ben about the flyer by next Monday 10am")
    assert "Got it ✓" in (made.text or "") and "due Mon, 30 Nov, 10:00" in (made.text or "")
    await chat_saying_yes(ben, "/commit email Tom in 2 hours")
    assert await _commitments(runtime) == [
        ("Anna anrufen", "Anna", datetime(2026, 11, 27, 8, 0, tzinfo=UTC), "open"),
        ("Kaffee mit Jana", "Jana", datetime(2026, 12, 10, 8, 0, tzinfo=UTC), "open"),
        ("Einladung an Lea", "Lea", datetime(2026, 11, 27, 8, 0, tzinfo=UTC), "open"),
        ("call Ben about the flyer", "Ben", datetime(2026, 11, 30, 10, 0, tzinfo=UTC), "open"),
        ("email Tom", "Tom", datetime(2026, 11, 26, 10, 0, tzinfo=UTC), "open"),
    ]


async def test_a_missing_date_is_asked_with_buttons_and_a_past_one_is_refused(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    cora = await _member(sim, runtime, "Cora", "de")
    ask = await chat_saying_yes(cora, "/commit Anna anrufen")
    assert "Bis wann?" in (ask.text or "")
    assert _labels(ask) == [
        "Morgen", "In 3 Tagen", "Nächste Woche", "Anderes Datum", "✖ Abbrechen",
    ]  # fmt: skip
    await cora.press(ask, "In 3 Tagen")
    made = await cora.next_message()
    assert "fällig So., 29. Nov., 09:00" in (made.text or "")

    (ask,) = await chat(cora, "/commit Anna anrufen gestern")  # said with its question
    assert "schon hinter dir" in (ask.text or "") and "Bis wann?" in (ask.text or "")
    assert _labels(ask)[0] == "Morgen"
    await cora.press(ask, "Anderes Datum")
    assert "Welches Datum?" in ((await cora.next_message()).text or "")
    (again,) = await chat(cora, "irgendwann")
    assert "verstehe ich nicht" in (again.text or "") and "Bis wann?" in (again.text or "")
    assert _labels(again)[0] == "Morgen"
    (made,) = await chat(cora, "15.12.")
    assert "fällig Di., 15. Dez., 09:00" in (made.text or "")
    # Both commitments are about the same Anna: one contact.
    async with runtime.sessions() as session:
        assert len((await session.execute(select(Contact))).scalars().all()) == 1


async def test_the_prompts_commit_button_guides_with_the_cards_suggested_actions(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    dora = await _member(sim, runtime, "Dora", "en")
    (prompt,) = await chat(dora, "/next")
    assert "🤝 Commit to a step" in _labels(prompt)
    await dora.press(prompt, "🤝 Commit to a step")
    who = await dora.next_message()
    assert "Who is it about?" in (who.text or "")
    assert _labels(who) == ["Nobody in particular", "✖ Cancel"]
    what = await chat_saying_yes(dora, "Jana")  # new contact: Jana? – yes
    assert "What will you do for Jana?" in (what.text or "")
    suggestions = _labels(what)
    # Every action of the card is a button; a person slot names the contact chosen.
    assert suggestions.pop() == "✖ Cancel"
    assert suggestions == list(runtime.curriculum.intro.text("en").action_labels("Jana"))
    assert "Check in with Jana" in suggestions
    await dora.press(what, suggestions[0])
    when = await dora.next_message()
    await dora.press(when, "Next week")
    made = await dora.next_message()
    assert suggestions[0] in (made.text or "") and "due Mon, 30 Nov, 09:00" in (made.text or "")
    async with runtime.sessions() as session:
        commitment = (await session.execute(select(Commitment))).scalar_one()
        assert commitment.card_key is not None and commitment.action == suggestions[0]

    # /commit alone asks the same questions; known contacts are offered as buttons.
    (who,) = await chat(dora, "/commit")
    assert _labels(who) == ["Jana", "Nobody in particular", "✖ Cancel"]
    await dora.press(who, "Nobody in particular")
    assert "What will you do?" in ((await dora.next_message()).text or "")
    (made,) = await chat(dora, "Block an hour for contacts by Friday")
    assert "Block an hour for contacts\ndue Fri, 27 Nov, 09:00" in (made.text or "")


async def test_a_commitment_due_in_two_minutes_is_followed_up_within_one_tick_and_done(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    eli = await _member(sim, runtime, "Eli", "en")
    await chat_saying_yes(eli, "/commit email Tom in 2 minutes")
    clock.advance(timedelta(minutes=1))
    await _tick(bot)
    assert await texts_until_quiet(eli) == []
    clock.advance(timedelta(minutes=1, seconds=5))
    await _tick(bot)
    followup = await eli.next_message()
    assert (followup.text or "").split("\n") == [
        "⏰ A commitment is due.",  # what a notification shows: nothing of the member's
        "email Tom (Tom) was due Thu, 26 Nov, 08:02.",
        "Made on 26 Nov.",
        "How did it go?",
    ]
    assert _labels(followup) == [
        "✓ Done", "🗓 Renegotiate", "🕊 Release", "💤 1 day", "💤 3 days", "💤 1 week",
    ]  # fmt: skip
    followup = await _press(eli, followup, "✓ Done")
    assert "Well kept" in (followup.text or "")
    assert _labels(followup) == ["I gave", "I received", "Both", "↩️ Undo"]
    followup = await _press(eli, followup, "I received")
    assert "Noted in your ledger" in (followup.text or "") and _labels(followup) == ["↩️ Undo"]

    (contacts,) = await chat(eli, "/contacts")
    assert "Tom\nLast contact: Thu, 26 Nov, 08:02 · open: 0 · given 0 / received 1" in (
        contacts.text or ""
    )
    (listing,) = await chat(eli, "/commitments")
    assert "No open commitments" in (listing.text or "")
    assert "1 of 1 (100 %)" in (listing.text or "")
    (kept,) = await chat(eli, "/kept")
    assert "Kept or renegotiated on time: 1 of 1 (100 %)." in (kept.text or "")
    await _tick(bot)
    clock.advance(timedelta(days=3))
    await _tick(bot)
    assert await texts_until_quiet(eli) == []  # done: no second ping


async def test_quiet_hours_hold_a_follow_up_until_seven_in_the_morning(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    finn = await _member(sim, runtime, "Finn", "de")
    await chat_saying_yes(finn, "/commit Anna anrufen heute 23 Uhr")
    clock.advance(timedelta(hours=14, minutes=5))  # 23:05 in Berlin
    await _tick(bot)
    assert await texts_until_quiet(finn) == []
    clock.advance(timedelta(hours=7, minutes=50))  # 06:55
    await _tick(bot)
    assert await texts_until_quiet(finn) == []
    clock.advance(timedelta(minutes=6))  # 07:01
    await _tick(bot)
    followup = await finn.next_message()
    assert "Anna anrufen (Anna) war für Do., 26. Nov., 23:00 geplant" in (followup.text or "")


async def test_snooze_renegotiate_and_release_do_what_they_say(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    gina = await _member(sim, runtime, "Gina", "de")
    await chat_saying_yes(gina, "/commit Ben wegen des Angebots anrufen in 2 Minuten")
    await chat_saying_yes(gina, "/commit Kaffee mit Jana in 2 Minuten")
    clock.advance(timedelta(minutes=3))
    await _tick(bot)
    # Due together: one digest with both, each answer in a message of its own.
    digest = await gina.next_message()
    assert "① ⏰ <b>Ben wegen des Angebots anrufen</b> (Ben)" in (digest.html or "")
    assert "② ⏰ <b>Kaffee mit Jana</b> (Jana)" in (digest.html or "")

    await gina.press(digest, "① 💤 1 Tag")
    first = await gina.next_message()
    assert "ich frage am Fr., 27. Nov., 09:03 wieder nach" in (first.text or "")
    await gina.press(digest, "② 🕊 Loslassen")
    second = await gina.next_message()
    assert "ehrliches Nein" in (second.text or "") and _labels(second) == ["↩️ Rückgängig"]

    clock.advance(timedelta(days=1))
    await _tick(bot)
    again = await gina.next_message()
    assert "(Ben)" in (again.text or "")
    await gina.press(again, "🗓 Neu vereinbaren")
    intro, forward, ask = [await gina.next_message() for _ in range(3)]
    assert "weiterleiten" in (intro.text or "")
    assert (forward.text or "").startswith("Hallo Ben, ich melde mich etwas später als gedacht")
    assert "neue Datum" in (ask.text or "") and "Nächste Woche" in _labels(ask)
    (moved,) = await chat(gina, "nächsten Dienstag 14 Uhr")
    assert "Neues Datum Di., 1. Dez., 14:00" in (moved.text or "")

    (listing,) = await chat(gina, "/commitments")
    assert "Deine offenen Vorhaben (1)" in (listing.text or "")
    assert "1. Ben wegen des Angebots anrufen\nBen · fällig Di., 1. Dez., 14:00" in (
        listing.text or ""
    )
    await gina.press(listing, "1. Ben wegen des Angebots anru…")
    item = await gina.next_message()
    assert "Ben · fällig Di., 1. Dez., 14:00" in (item.text or "")
    assert "✓ Erledigt" in _labels(item)
    assert [s for *_, s in await _commitments(runtime)] == ["open", "released"]
    # Snoozed after it fell due: late, even when renegotiated and done later. The released
    # one counts neither way.
    await _press(gina, item, "✓ Erledigt")
    (kept,) = await chat(gina, "/kept")
    assert "Eingehalten oder rechtzeitig neu vereinbart: 0 von 1 (0 %)." in (kept.text or "")


async def test_an_unanswered_follow_up_is_repeated_once_and_then_left_alone(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    hal = await _member(sim, runtime, "Hal", "en")
    await chat_saying_yes(hal, "/commit call Priya in 2 minutes")
    clock.advance(timedelta(minutes=3))
    await _tick(bot)
    assert "call Priya" in ((await hal.next_message()).text or "")
    clock.advance(timedelta(days=1))
    await _tick(bot)
    assert await texts_until_quiet(hal) == []
    clock.advance(timedelta(days=1, minutes=1))
    await _tick(bot)
    reminder = await hal.next_message()
    assert (reminder.text or "").startswith("One more gentle nudge")
    for _ in range(3):
        clock.advance(timedelta(days=3))
        await _tick(bot)
    assert await texts_until_quiet(hal) == []


async def test_a_commitment_released_before_it_falls_due_is_not_followed_up(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ida = await _member(sim, runtime, "Ida", "en")
    await chat_saying_yes(ida, "/commit email Tom in 2 hours")
    (listing,) = await chat(ida, "/commitments")
    await ida.press(listing, "1. email Tom")
    item = await ida.next_message()
    await _press(ida, item, "🕊 Release")
    clock.advance(timedelta(hours=3))
    await _tick(bot)
    assert await texts_until_quiet(ida) == []


async def test_the_ledger_notes_a_lopsided_balance_gently_and_at_most_once_a_month(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    jo = await _member(sim, runtime, "Jo", "en")
    notes = []
    for _ in range(3):
        met = await chat_saying_yes(jo, "/met Anna coffee and advice")
        assert "You were in touch with Anna" in (met.text or "")
        notes.append((await _press(jo, met, "I received")).text or "")
        clock.advance(timedelta(days=1))
    assert ["A gentle thought" in note for note in notes] == [False, True, False]
    assert "received 2 times lately, and given not once" in notes[1]
    (contacts,) = await chat(jo, "/contacts")
    assert "given 0 / received 3" in (contacts.text or "")
    assert "A gentle thought" not in (contacts.text or "")
    clock.advance(timedelta(days=31))
    (contacts,) = await chat(jo, "/contacts")
    assert "received 3 times lately, and given not once" in (contacts.text or "")
    (contacts,) = await chat(jo, "/contacts")
    assert "A gentle thought" not in (contacts.text or "")


async def test_a_cadence_brings_a_check_in_and_met_resets_the_timer(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    kai = await _member(sim, runtime, "Kai", "de")
    done = await chat_saying_yes(kai, "/contact Anna alle 4 Wochen")
    assert "Nächste Nachfrage: Do., 24. Dez., 09:00" in (done.text or "")
    (usage,) = await chat(kai, "/contact Anna ab und zu")
    assert "/contact Anna alle 4 Wochen" in (usage.text or "")
    clock.advance(timedelta(days=20))
    await chat_saying_yes(kai, "/met anna")
    clock.advance(timedelta(days=10))  # 30 days after the cadence was set
    await _tick(bot)
    assert await texts_until_quiet(kai) == []
    clock.advance(timedelta(days=18, hours=1))  # 28 days after /met
    await _tick(bot)
    checkin = await kai.next_message()
    assert "Dein letzter Kontakt mit Anna war am Mi., 16. Dez. 2026, 09:00" in (checkin.text or "")
    assert "✓ Wir hatten Kontakt" in _labels(checkin)
    checkin = await _press(kai, checkin, "✓ Wir hatten Kontakt")
    assert "beginnt von vorn" in (checkin.text or "") and "Beides" in _labels(checkin)

    ben = await _member(sim, runtime, "Ben", "en")
    done = await chat_saying_yes(ben, "/contact Priya every 2 weeks")
    assert "for 2 weeks" in (done.text or "")
    (stopped,) = await chat(ben, "/contact priya off")
    assert "no more reminders about Priya" in (stopped.text or "")


async def test_someone_elses_callback_data_changes_nothing(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    gus = await _member(sim, runtime, "Gus", "en")
    mallory = await _member(sim, runtime, "Mallory", "en")
    (prompt,) = await chat(gus, "/next")
    delivery_id = prompt.buttons[0].data.split(":")[1]  # type: ignore[union-attr]
    await chat_saying_yes(gus, "/commit email Tom in 2 minutes")
    met = await chat_saying_yes(gus, "/met Tom")
    await chat(gus, "/contact Tom every 2 weeks")
    interaction = met.buttons[0].data.split(":")[1].split("-")[0]  # type: ignore[union-attr]
    # Its follow-up is booked already (due within the digest window): that stays as it is.
    await _tick(bot)
    async with runtime.sessions() as session:
        commitment = (await session.execute(select(Commitment))).scalar_one()
        contact = (await session.execute(select(Contact))).scalar_one()
    c, k = commitment.id, contact.id
    pings = commitment.pings
    (own,) = await chat(mallory, "/help")
    forged = [
        f"cd:{c}", f"cx:{c}", f"cs:{c}-1", f"cr:{c}", f"cv:{c}-tomorrow", f"cm:{delivery_id}",
        f"lg:{interaction}-gave", f"kt:{k}", f"ks:{k}-3", f"kx:{k}", "cw:" + str(k),
        "cs:99999999-1", "cd:99999999999999", "cd:abc", "cn:tomorrow", "ca:0", "lg:1-x" + "9" * 50,
    ]  # fmt: skip
    for data in forged:
        await mallory.wait_callback_answer(await mallory.press_forged(own, data))
    assert [a.text for a in mallory.callback_answers] == ["This button is no longer active."] * len(
        forged
    )
    assert await texts_until_quiet(mallory) == []
    assert await texts_until_quiet(gus) == []
    async with runtime.sessions() as session:
        commitment = (await session.execute(select(Commitment))).scalar_one()
        contact = (await session.execute(select(Contact))).scalar_one()
        assert commitment.status is CommitmentStatus.OPEN and commitment.pings == pings
        assert commitment.due_at == datetime(2026, 11, 26, 8, 2, tzinfo=UTC)
        assert contact.cadence_days == 14


async def test_a_restart_in_the_middle_of_a_guided_commitment_loses_nothing(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    lea = sim.user("Lea", language_code="de")
    await add_members(runtime, [lea.id], next_prompt_at=_LATER)
    async with bot_against(sim, runtime):
        await chat(lea, "/commit")
        what = await chat_saying_yes(lea, "Tom")
        assert "Was nimmst du dir für Tom vor?" in (what.text or "")
    await lea.send("Tom zum Mittagessen einladen")
    async with bot_against(sim, runtime):
        when = await lea.next_message()
        assert "Bis wann?" in (when.text or "")
        await lea.press(when, "Morgen")
        made = await lea.next_message()
        assert "Tom zum Mittagessen einladen\nTom · fällig Fr., 27. Nov., 09:00" in (
            made.text or ""
        )
