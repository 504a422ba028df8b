"""A new member sets netcoach up through Telegram: by buttons, by commands, across a restart.

Everything here goes through the real `Application` and the simulator over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.models import User
from tests.support.harness import bot_against, chat, texts_until_quiet
from tests.support.processes import wait_until


async def _stored(runtime: Runtime, telegram_id: int) -> User:
    async with runtime.sessions() as session:
        query = select(User).where(User.telegram_id == telegram_id)
        return (await session.execute(query)).scalar_one()


async def test_a_new_member_sets_up_everything_with_buttons(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    anna = sim.user(first_name="Anna", language_code="de")
    welcome, language_question = await chat(anna, "/start", replies=2)
    assert "Hallo Anna" in (welcome.text or "")
    assert "/privacy" in (welcome.text or "")
    assert [b.text for b in language_question.buttons] == ["Deutsch", "English", "✖ Abbrechen"]

    await anna.press(language_question, "Deutsch")
    zone_question = await anna.next_message()
    assert "Zeitzone" in (zone_question.text or "")
    assert ["Berlin", "Wien", "Zürich"] in zone_question.reply_keyboard
    # The answered question closes: its buttons are gone, the choice is shown.
    assert language_question.buttons == [] and "✓ Deutsch" in (language_question.text or "")

    await anna.send("Berlin")  # a reply-keyboard tap sends the label as text
    confirmation, weekday_question = [await anna.next_message() for _ in range(2)]
    assert "Europe/Berlin" in (confirmation.text or "")
    assert [b.text for b in weekday_question.buttons][:2] == ["Mo.", "Di."]

    await anna.press(weekday_question, "Do.")
    time_question = await anna.next_message()
    assert "Donnerstag" in (time_question.text or "")
    await anna.press(time_question, "18:00")
    done = await anna.next_message()
    assert "jeden Donnerstag um 18:00 Uhr" in (done.text or "")
    assert "Do., 26. Nov., 18:00" in (done.text or "")  # the clock says Thursday 09:00 in Berlin

    user = await _stored(runtime, anna.id)
    assert (user.language, user.timezone, user.slot_weekday, user.slot_minute) == (
        "de",
        "Europe/Berlin",
        3,
        18 * 60,
    )
    assert user.next_prompt_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert user.onboarded_at is not None


async def test_a_new_member_sets_up_everything_with_one_line_commands(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ben = sim.user(first_name="Ben", language_code="en-US")
    welcome, _language_question = await chat(ben, "/start", replies=2)
    assert welcome.text is not None and welcome.text.startswith("Hi Ben!")

    (answer,) = await chat(ben, "/language en")
    assert "time zone" in (answer.text or "")
    confirmation, _weekday_question = await chat(ben, "/timezone New York", replies=2)
    assert "America/New_York" in (confirmation.text or "")
    (done,) = await chat(ben, "/schedule Tuesday 7:30")
    assert "every Tuesday at 07:30" in (done.text or "")

    user = await _stored(runtime, ben.id)
    assert (user.timezone, user.slot_weekday, user.slot_minute) == ("America/New_York", 1, 450)
    assert user.next_prompt_at == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)

    (overview,) = await chat(ben, "/start")
    assert "Your settings" in (overview.text or "")
    assert "Tuesday at 07:30" in (overview.text or "")


async def test_bad_values_get_an_example_and_change_nothing(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    cara = sim.user(first_name="Cara", language_code="de")
    await chat(cara, "/start", replies=2)
    await chat(cara, "/timezone Europe/Berlin", replies=2)
    await chat(cara, "/schedule mo 09:00")
    before = await _stored(runtime, cara.id)

    (answer,) = await chat(cara, "/schedule someday 25:00")
    assert "/schedule mo 09:00" in (answer.text or "")
    (answer,) = await chat(cara, "/language fr")
    assert "/language en" in (answer.text or "")
    (answer,) = await chat(cara, "/timezone Xyzzyquux")
    assert "Europe/Berlin" in (answer.text or "")

    after = await _stored(runtime, cara.id)
    assert (after.language, after.timezone, after.slot_weekday, after.slot_minute) == (
        before.language,
        before.timezone,
        before.slot_weekday,
        before.slot_minute,
    )


async def test_settings_show_current_values_and_every_button_works(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    dana = sim.user(first_name="Dana", language_code="en")
    await chat(dana, "/start", replies=2)
    await chat(dana, "/timezone Europe/London", replies=2)
    await chat(dana, "/schedule wed 08:00")

    (overview,) = await chat(dana, "/settings")
    assert "Europe/London" in (overview.text or "") and "Wednesday at 08:00" in (
        overview.text or ""
    )
    assert [b.text for b in overview.buttons] == [
        "Language",
        "Time zone",
        "Day and time",
        "Review as its own message",
    ]

    await dana.press(overview, "Language")
    question = await dana.next_message()
    await dana.press(question, "Deutsch")
    saved = await dana.next_message()
    assert "Gespeichert" in (saved.text or "") and "Sprache: Deutsch" in (saved.text or "")

    await dana.press(saved, "Zeitzone")
    await dana.next_message()
    await dana.send_location(48.21, 16.37)  # Vienna
    confirmation, saved = [await dana.next_message() for _ in range(2)]
    assert "Europe/Vienna" in (confirmation.text or "")

    await dana.press(saved, "Wochentag und Uhrzeit")
    weekday_question = await dana.next_message()
    await dana.press(weekday_question, "Fr.")
    time_question = await dana.next_message()
    await dana.send("6:45")
    saved = await dana.next_message()
    assert "jeden Freitag um 06:45 Uhr" in (saved.text or "")
    user = await _stored(runtime, dana.id)
    assert (user.language, user.timezone, user.slot_weekday, user.slot_minute) == (
        "de",
        "Europe/Vienna",
        4,
        405,
    )
    # The time question was answered by typing; its buttons still work afterwards.
    await dana.press(time_question, "08:00")
    saved = await dana.next_message()
    assert "jeden Freitag um 08:00 Uhr" in (saved.text or "")


async def test_an_answer_not_taken_is_said_with_the_question_again_in_one_message(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    hedi = sim.user(first_name="Hedi", language_code="de")
    _, language_question = await chat(hedi, "/start", replies=2)
    await hedi.press(language_question, "Deutsch")
    await hedi.next_message()  # which zone?
    (again,) = await chat(hedi, "Entenhausen")
    assert (again.text or "").startswith("Diesen Ort habe ich nicht gefunden.")
    assert "In welcher Zeitzone lebst du?" in (again.text or "")
    assert ["Berlin", "Wien", "Zürich"] in again.reply_keyboard
    await chat(hedi, "Berlin", replies=2)  # the zone, then which weekday?
    (again,) = await chat(hedi, "Blumentag")
    assert (again.text or "").startswith("Das ist kein Wochentag, den ich kenne. Tippe auf")
    assert "An welchem Wochentag" in (again.text or "")
    assert [b.text for b in again.buttons][:2] == ["Mo.", "Di."]
    await hedi.press(again, "Do.")
    await hedi.next_message()  # at what time?
    (again,) = await chat(hedi, "25 Uhr")
    assert (again.text or "").startswith("Diese Uhrzeit verstehe ich nicht.")
    assert "Und um wie viel Uhr am Donnerstag?" in (again.text or "")
    await hedi.press(again, "09:00")
    assert "Fertig eingerichtet" in ((await hedi.next_message()).text or "")

    otto = sim.user(first_name="Otto", language_code="en")
    await chat(otto, "/start", replies=2)
    (again,) = await chat(otto, "/language klingon")
    assert (again.text or "").startswith("I don't know that language.")
    assert "Which language" in (again.text or "")
    assert [b.text for b in again.buttons] == ["Deutsch", "English", "✖ Cancel"]


async def test_an_ambiguous_place_is_offered_as_choices(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    eli = sim.user(first_name="Eli", language_code="en")
    await chat(eli, "/start", replies=2)
    await chat(eli, "/language en")
    (choices,) = await chat(eli, "Portland")
    labels = [b.text for b in choices.buttons]
    assert len(labels) >= 3 and labels[-1] == "✖ Cancel", labels  # set-up waits: it can be left
    await eli.press(choices, labels[0])
    confirmation = await eli.next_message()
    assert "America/" in (confirmation.text or "")


async def test_a_restart_in_the_middle_of_onboarding_loses_nothing(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    fred = sim.user(first_name="Fred", language_code="de")
    async with bot_against(sim, runtime):
        await chat(fred, "/start", replies=2)
        await chat(fred, "/language de")
        await chat(fred, "Hamburg", replies=2)
    # The bot is down; the member answers the weekday question meanwhile.
    await fred.send("Mittwoch")
    async with bot_against(sim, runtime):
        time_question = await fred.next_message()
        assert "Mittwoch" in (time_question.text or "")
        (done,) = await chat(fred, "07:15")
        assert "jeden Mittwoch um 07:15 Uhr" in (done.text or "")
    user = await _stored(runtime, fred.id)
    assert (user.timezone, user.slot_weekday, user.slot_minute) == ("Europe/Berlin", 2, 435)


async def test_every_other_kind_of_message_gets_a_clear_answer(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    gus = sim.user(first_name="Gus", language_code="en")
    await chat(gus, "/start", replies=2)
    await gus.send_sticker()
    assert "only understand text" in ((await gus.next_message()).text or "")
    (answer,) = await chat(gus, "/frobnicate")
    assert "/help" in (answer.text or "")
    (answer,) = await chat(gus, "/help")
    assert "/schedule mon 09:00" in (answer.text or "")
    (answer,) = await chat(gus, "/about")
    assert "Pluspunkte" in (answer.text or "")
    (answer,) = await chat(gus, "/privacy")
    assert "What I store" in (answer.text or "")
    assert await texts_until_quiet(gus) == []


async def test_the_command_menu_is_registered_in_both_languages(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    # Set in the background once the bot serves (a refusal must not keep members waiting).
    await wait_until(lambda: len(sim.requests_for("setMyCommands")) >= 3, timeout=5)
    calls = sim.requests_for("setMyCommands")
    by_language = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert set(by_language) == {"de", "en", None}
    german = {c["command"]: c["description"] for c in by_language["de"]}
    english = {c["command"]: c["description"] for c in by_language["en"]}
    assert german.keys() == english.keys() >= {"start", "settings", "schedule", "help"}
    assert german["help"] != english["help"]


async def test_someone_who_writes_before_start_is_welcomed_not_corrected(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    ivy = sim.user("Ivy", language_code="en")
    welcome, language_question = await chat(ivy, "hello", replies=2)
    assert (welcome.text or "").startswith("Hi Ivy!")
    assert [b.text for b in language_question.buttons] == ["Deutsch", "English", "✖ Cancel"]
