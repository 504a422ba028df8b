"""The review through Telegram: /review with its picture, and the review at the weekly prompt.

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin).
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from bot.charts import ProgressChart, WeeklyBarsChart
from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import ReviewPlacement, User
from tests.support.harness import chat, press_and_see_edit, texts_until_quiet
from tests.support.history import HistoryBuilder, year_of_history


async def _tick(bot: NetcoachApplication) -> None:
    dispatcher = bot.bot_data.dispatcher
    dispatcher.kick()
    await dispatcher.idle()


async def _onboard(user: SimUser, schedule: str = "do 09:02") -> None:
    await chat(user, "/start", replies=2)
    await chat(user, "/timezone Europe/Berlin", replies=2)
    await chat(user, f"/schedule {schedule}")


async def _history_of(runtime: Runtime, user: SimUser) -> HistoryBuilder:
    async with runtime.sessions() as session:
        row = (await session.execute(select(User).where(User.telegram_id == user.id))).scalar_one()
    return HistoryBuilder(runtime, row.id)


async def test_review_sends_a_picture_with_a_caption_in_the_members_language(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    lena = sim.user("Lena", language_code="de")
    await _onboard(lena)
    await year_of_history(await _history_of(runtime, lena), runtime.clock.now())

    (photo,) = await chat(lena, "/review", timeout=30)

    assert photo.photo is not None
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.width >= 1000
    caption = photo.caption or ""
    assert "Deine letzten 12 Wochen" in caption and "Wochenrückblick" in caption
    # The principle left aside longest, and the streak (worded as this week words it).
    assert "Verhandeln" in caption and "🌱 Schon" in caption and "Wochen am Stück" in caption


class DrawsSlowly:
    """Pictures that take `seconds` to draw (a busy machine, a long history)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def progress_png(self, chart: ProgressChart) -> bytes:
        await asyncio.sleep(self.seconds)
        return _tiny_png()

    async def network_png(self, chart: WeeklyBarsChart) -> bytes:
        await asyncio.sleep(self.seconds)
        return _tiny_png()


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_slow_picture_shows_that_a_photo_is_on_its_way(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    nora = sim.user("Nora", language_code="en")
    await _onboard(nora, "thu 09:02")
    bot.bot_data.charts = DrawsSlowly(1.2)
    before = len(nora.events)

    (photo,) = await chat(nora, "/review", timeout=30)

    assert photo.photo is not None
    done = [(event.kind, event.action) for event in nora.events[before:]]
    assert done[-1] == ("message", None)  # the photo, after "sending a photo…"
    assert ("chat_action", "upload_photo") in done[:-1]


async def test_a_quick_picture_comes_without_a_chat_action(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    omar = sim.user("Omar", language_code="en")
    await _onboard(omar, "thu 09:02")
    bot.bot_data.charts = DrawsSlowly(0.0)
    before = len(omar.events)

    (photo,) = await chat(omar, "/review", timeout=30)

    assert photo.photo is not None
    assert [e.kind for e in omar.events[before:] if e.kind == "chat_action"] == []


async def test_a_new_member_gets_an_empty_picture_and_a_kind_word(
    sim: TelegramSimulator, bot: NetcoachApplication
) -> None:
    sam = sim.user("Sam", language_code="en")
    await _onboard(sam, "thu 09:02")

    (photo,) = await chat(sam, "/review", timeout=30)

    assert photo.photo is not None
    assert "still empty" in (photo.caption or "")


async def test_the_weekly_prompt_opens_with_the_review_and_can_have_it_separately(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    mara = sim.user("Mara", language_code="de")
    await _onboard(mara)
    history = await _history_of(runtime, mara)
    now = clock.now()
    await history.reflection("principle-trust", now - timedelta(days=3))
    await history.commitment("principle-trust", now - timedelta(days=5), kept=now, contact="Tom")
    await history.contact("Anna", every_days=14, next_checkin=now + timedelta(days=3))

    clock.advance(timedelta(minutes=2, seconds=5))
    await _tick(bot)
    prompt = await mara.next_message(timeout=5)
    assert prompt.buttons and prompt.text is not None
    assert prompt.text.startswith("Dein Wochenrückblick")
    assert "Notizen seit letzter Woche: 1" in prompt.text  # this week's wording
    assert "1 eingehalten" in prompt.text and ": Anna" in prompt.text
    assert await texts_until_quiet(mara) == []

    (overview,) = await chat(mara, "/settings")
    assert "Wochenrückblick: im Impuls" in (overview.text or "")
    await mara.press(overview, "Rückblick als eigene Nachricht")
    edited = await _edited(mara, overview)
    assert "Wochenrückblick: als eigene Nachricht davor" in (edited.text or "")
    async with runtime.sessions() as session:
        row = (await session.execute(select(User).where(User.telegram_id == mara.id))).scalar_one()
        assert row.review_placement is ReviewPlacement.SEPARATE

    # Anna's check-in comes on its day, and Mara answers it; a week on, review and prompt.
    clock.advance(timedelta(days=4))
    await _tick(bot)
    checkin = await mara.next_message(timeout=5)
    assert "Anna" in (checkin.text or "")
    await press_and_see_edit(mara, checkin, "✓ Wir hatten Kontakt")
    clock.advance(timedelta(days=3))
    await history.reflection("rule-fairness", clock.now() - timedelta(days=1))
    await _tick(bot)
    review = await mara.next_message(timeout=5)
    prompt = await mara.next_message(timeout=5)
    assert (review.text or "").startswith("Dein Wochenrückblick") and not review.buttons
    assert prompt.buttons and "Wochenrückblick" not in (prompt.text or "")


async def test_with_nothing_to_say_the_prompt_comes_without_a_review(
    sim: TelegramSimulator, bot: NetcoachApplication, clock: ShiftableClock
) -> None:
    theo = sim.user("Theo", language_code="de")
    await _onboard(theo)

    clock.advance(timedelta(minutes=2, seconds=5))
    await _tick(bot)
    prompt = await theo.next_message(timeout=5)

    assert prompt.buttons and "Wochenrückblick" not in (prompt.text or "")
    assert await texts_until_quiet(theo) == []


async def _edited(user: SimUser, message: SimMessage) -> SimMessage:
    import asyncio

    for _ in range(50):
        current = next(m for m in user.messages if m.message_id == message.message_id)
        if current.edited:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError("the settings message was not updated")


async def test_an_admin_gets_the_weekly_picture_after_the_numbers(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    from dataclasses import replace

    from tests.support.harness import bot_against

    admin_id = 4343
    settings = runtime.settings.model_copy(update={"admin_ids": frozenset({admin_id})})
    async with bot_against(sim, replace(runtime, settings=settings)):
        ines = sim.user("Ines", language_code="de")
        await _onboard(ines)
        history = await _history_of(runtime, ines)
        await history.reflection("rule-fairness", runtime.clock.now() - timedelta(hours=1))
        olga = sim.user("Olga", user_id=admin_id, language_code="en")
        numbers, picture = await chat(olga, "/stats", replies=2, timeout=30)

    assert numbers.text is not None and picture.photo is not None
    assert picture.caption == "Network: last 12 weeks"
    assert Image.open(io.BytesIO(picture.photo.data)).width >= 1000


async def test_the_review_names_what_waits_quotes_the_week_and_reads_differently_next_week(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    nora = sim.user("Nora", language_code="de")
    await _onboard(nora)
    history = await _history_of(runtime, nora)
    now = clock.now()
    await history.commitment(
        None, now - timedelta(days=20), action="Lea das Buch zurückgeben", contact="Lea",
        due=now - timedelta(days=10),
    )  # fmt: skip
    await history.reflection("principle-trust", now - timedelta(days=2), "Tom fehlt mir im Team.")

    clock.advance(timedelta(minutes=2, seconds=5))
    await _tick(bot)
    first = await nora.next_message(timeout=5)
    text = first.text or ""
    assert text.startswith("Dein Wochenrückblick\n")  # the preview names nothing of hers
    assert "Lea das Buch zurückgeben (Lea)" in text and "Mo., 16. Nov." in text
    assert "„Tom fehlt mir im Team.“" in text

    clock.advance(timedelta(weeks=1))
    await history.reflection("rule-fairness", clock.now() - timedelta(days=1), "Ben half mir.")
    await _tick(bot)
    second = await nora.next_message(timeout=5)
    again = second.text or ""
    assert "Lea das Buch zurückgeben (Lea)" in again and "„Ben half mir.“" in again
    review_lines = [line for line in text.split("\n\n")[0].splitlines()[1:]]
    again_lines = [line for line in again.split("\n\n")[0].splitlines()[1:]]
    assert review_lines and again_lines and set(review_lines).isdisjoint(again_lines)
