"""The weekly loop through Telegram: the prompt at the member's own time, reflections, journal.

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin) and moved by
the tests; the dispatcher is woken as its tick would wake it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Delivery, Reflection, User, UserStatus
from tests.support.harness import chat, press_and_see_edit, texts_until_quiet
from tests.support.members import add_members


async def _tick(bot: NetcoachApplication) -> None:
    """What the repeating job does, run to completion."""
    dispatcher = bot.bot_data.dispatcher
    dispatcher.kick()
    await dispatcher.idle()


async def _onboard(user: SimUser, zone: str, schedule: str) -> None:
    await chat(user, "/start", replies=2)
    await chat(user, f"/timezone {zone}", replies=2)
    await chat(user, f"/schedule {schedule}")


async def _prompt(user: SimUser) -> SimMessage:
    message = await user.next_message(timeout=5)
    assert message.buttons, f"expected a prompt with buttons, got {message!r}"
    return message


async def test_a_member_gets_exactly_one_prompt_at_their_slot_and_the_next_a_week_later(
    sim: TelegramSimulator, bot: NetcoachApplication, clock: ShiftableClock
) -> None:
    anna = sim.user("Anna", language_code="de")
    # Thursday 09:00 in Berlin: two minutes from now.
    await _onboard(anna, "Europe/Berlin", "do 09:02")

    clock.advance(timedelta(minutes=1))
    await _tick(bot)
    assert await texts_until_quiet(anna) == []

    clock.advance(timedelta(minutes=1, seconds=5))
    await _tick(bot)
    prompt = await _prompt(anna)
    assert prompt.text is not None
    # A new member starts with the introduction card.
    assert "Beziehung" in prompt.text
    assert [b.text for b in prompt.buttons] == [
        "✍️ Gedanken notieren",
        "🔄 Andere Frage",
        "🤝 Schritt vornehmen",
        "⏭ Diese Woche aussetzen",
    ]
    await _tick(bot)
    clock.advance(timedelta(days=3))
    await _tick(bot)
    assert await texts_until_quiet(anna) == []

    clock.advance(timedelta(days=4))
    await _tick(bot)
    second = await _prompt(anna)
    assert second.text != prompt.text  # the next card, not the same again
    assert await texts_until_quiet(anna) == []


async def test_the_repeating_tick_finds_due_prompts_by_itself(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    from dataclasses import replace

    from tests.support.harness import bot_against

    fast = replace(runtime, settings=runtime.settings.model_copy(update={"tick_seconds": 0.2}))
    ben = sim.user("Ben", language_code="en")
    async with bot_against(sim, fast):
        await _onboard(ben, "Europe/London", "thu 08:01")
        clock.advance(timedelta(minutes=2))
        # No kick: the tick (every 0.2 s) finds the prompt by itself.
        prompt = await ben.next_message(timeout=10)
    assert prompt.buttons and "Reflect now" in prompt.buttons[0].text


async def test_a_member_reflects_with_the_button_and_finds_it_in_the_journal(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    cara = sim.user("Cara", language_code="en")
    await _onboard(cara, "Europe/London", "thu 08:00")
    (first,) = await chat(cara, "/next")
    question = (first.text or "").split("\n")[-1]

    edited = await press_and_see_edit(cara, first, "🔄 Another question")
    assert edited.text is not None and edited.text.split("\n")[-1] != question
    new_question = edited.text.split("\n")[-1]

    await cara.press(edited, "✍️ Reflect now")
    ask = await cara.next_message()
    assert new_question in (ask.text or "")
    (saved,) = await chat(cara, "I owe Priya a thank-you for the intro <b>last week</b>.")
    assert "Your first note is in /journal." in (saved.text or "")

    # Replying to a prompt message is a reflection too.
    await cara.reply_to(first, "Asked Tom how his launch went.")
    second = (await cara.next_message()).text or ""
    assert "✓" in second and "/journal" in second and "first note" not in second

    (journal,) = await chat(cara, "/journal")
    assert journal.text is not None
    assert journal.text.index("Asked Tom") < journal.text.index("I owe Priya")
    assert "<b>last week</b>" in journal.text  # member text is shown as written, not as HTML

    async with runtime.sessions() as session:
        texts = (await session.execute(select(Reflection.text).order_by(Reflection.id))).scalars()
        assert list(texts) == [
            "I owe Priya a thank-you for the intro <b>last week</b>.",
            "Asked Tom how his launch went.",
        ]


async def test_reflect_command_and_a_restart_mid_reflection_lose_nothing(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    from tests.support.harness import bot_against

    dana = sim.user("Dana", language_code="de")
    async with bot_against(sim, runtime):
        (nothing_yet,) = await chat(dana, "/reflect")  # not set up: what is missing, not /next
        assert "Zeitzone" in (nothing_yet.text or "")
        await _onboard(dana, "Europe/Berlin", "mo 08:00")
        await chat(dana, "/next")
        (ask,) = await chat(dana, "/reflect")
        assert "ein paar Sätze" in (ask.text or "")
    await dana.send("Ich habe Lena endlich zurückgerufen.")
    async with bot_against(sim, runtime):
        saved = await dana.next_message(timeout=10)
        assert "Deine erste Notiz steht in /journal." in (saved.text or "")
        (direct,) = await chat(dana, "/reflect Heute zwei Kontakte gepflegt.")
        assert "✓" in (direct.text or "") and "erste Notiz" not in (direct.text or "")


async def test_the_journal_pages_through_many_reflections(
    sim: TelegramSimulator, bot: NetcoachApplication, clock: ShiftableClock
) -> None:
    eva = sim.user("Eva", language_code="en")
    await _onboard(eva, "Europe/London", "mon 08:00")
    await chat(eva, "/next")
    for number in range(1, 13):
        await chat(eva, f"/reflect Note number {number}")
        clock.advance(timedelta(hours=1))
    (page,) = await chat(eva, "/journal")
    assert "notes 1 to 5 of 12" in (page.text or "") and "Note number 12" in (page.text or "")
    opens = ["📖 1", "📖 2", "📖 3", "📖 4", "📖 5"]
    assert [b.text for b in page.buttons] == [*opens, "Older ▶"]
    page = await press_and_see_edit(eva, page, "Older ▶")
    assert "notes 6 to 10 of 12" in (page.text or "")
    opens = ["📖 6", "📖 7", "📖 8", "📖 9", "📖 10"]
    assert [b.text for b in page.buttons] == [*opens, "◀ Newer", "Older ▶"]


async def test_skip_closes_the_prompt_and_nothing_else_changes(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    fay = sim.user("Fay", language_code="en")
    await _onboard(fay, "Europe/London", "mon 08:00")
    (prompt,) = await chat(fay, "/next")
    prompt = await press_and_see_edit(fay, prompt, "⏭ Skip this week")
    assert prompt.buttons == [] and "skip this week" in (prompt.text or "")
    async with runtime.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.next_prompt_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_pressing_someone_elses_prompt_button_changes_nothing(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    gus = sim.user("Gus", language_code="en")
    mallory = sim.user("Mallory", language_code="en")
    await _onboard(gus, "Europe/London", "mon 08:00")
    (prompt,) = await chat(gus, "/next")
    delivery_id = prompt.buttons[-1].data.split(":")[1]  # type: ignore[union-attr]
    (own,) = await chat(mallory, "/help")
    for forged in (f"sk:{delivery_id}", f"aq:{delivery_id}", f"rf:{delivery_id}", "sk:999999"):
        await mallory.wait_callback_answer(await mallory.press_forged(own, forged))
    assert all(a.text == "This button is no longer active." for a in mallory.callback_answers)
    assert len(mallory.callback_answers) == 4
    async with runtime.sessions() as session:
        delivery = await session.get(Delivery, int(delivery_id))
        assert delivery is not None and delivery.skipped_at is None
    assert await texts_until_quiet(gus) == []
    assert await texts_until_quiet(mallory) == []


async def test_pause_and_resume(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    hal = sim.user("Hal", language_code="en")
    await _onboard(hal, "Europe/London", "thu 08:30")
    (answer,) = await chat(hal, "/pause soon")
    assert "/pause 3w" in (answer.text or "")
    (answer,) = await chat(hal, "/pause 2w")
    assert "Paused until Thu, 10 Dec" in (answer.text or "")
    clock.advance(timedelta(hours=1))
    await _tick(bot)
    assert await texts_until_quiet(hal) == []  # today's 08:30 slot passes in silence

    clock.advance(timedelta(days=14))
    await _tick(bot)  # the pause ends: back to the regular slot, no catch-up for missed weeks
    assert await texts_until_quiet(hal) == []
    async with runtime.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.status is UserStatus.ACTIVE
        assert user.next_prompt_at == datetime(2026, 12, 17, 8, 30, tzinfo=UTC)

    await chat(hal, "/pause")
    (answer,) = await chat(hal, "/resume")
    assert "Thu, 17 Dec, 08:30" in (answer.text or "")


async def test_a_slot_missed_while_the_bot_was_down_gives_one_catch_up_prompt(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    ida = sim.user("Ida", language_code="de")
    five_weeks_ago = datetime(2026, 10, 22, 8, 0, tzinfo=UTC)
    await add_members(runtime, [ida.id], next_prompt_at=five_weeks_ago)
    await _tick(bot)
    prompt = await _prompt(ida)
    assert (prompt.text or "").startswith("Nachgeholt – dieser Impuls war für Do., 22. Okt.")
    await _tick(bot)
    assert await texts_until_quiet(ida) == []
    async with runtime.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.next_prompt_at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
        assert (await session.execute(select(func.count()).select_from(Delivery))).scalar() == 1
