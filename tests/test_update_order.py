"""Several members are answered at once, but each member's messages in the order they were sent."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.domain.runtime import Runtime
from bot.update_order import PerChatUpdateProcessor
from content.i18n import catalog
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from simulator.html import parse_html
from tests.support.harness import bot_against, texts_until_quiet
from tests.support.members import add_members
from tests.support.processes import wait_until


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    sender = User(chat_id, "Member", is_bot=False)
    message = Message(update_id, datetime.now(UTC), chat, from_user=sender, text="hi")
    return Update(update_id, message=message)


async def test_one_chat_waits_its_turn_while_other_chats_go_ahead() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=4)
    log: list[str] = []
    first_may_end = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} starts")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} ends")

    anna_first = asyncio.create_task(
        processor.process_update(_update(1, 100), handle("anna 1", first_may_end))
    )
    anna_second = asyncio.create_task(processor.process_update(_update(2, 100), handle("anna 2")))
    ben = asyncio.create_task(processor.process_update(_update(3, 200), handle("ben")))
    await asyncio.wait_for(ben, 1)
    assert log == ["anna 1 starts", "ben starts", "ben ends"]  # Ben did not wait for Anna

    first_may_end.set()
    await asyncio.wait_for(asyncio.gather(anna_first, anna_second), 1)
    assert log[3:] == ["anna 1 ends", "anna 2 starts", "anna 2 ends"]


async def test_at_most_the_configured_number_run_at_once() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=2)
    running, peak = 0, 0

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(
        *(processor.process_update(_update(n, 1000 + n), handle()) for n in range(10))
    )
    assert peak == 2


async def test_a_member_who_types_fast_gets_answers_in_order(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    """`/language en` and `/help` sent at once: the help is already in English."""
    mia = sim.user("Mia", language_code="de")
    others = [sim.user(f"Other {n}", language_code="de") for n in range(5)]
    await add_members(runtime, [mia.id, *(other.id for other in others)], language="de")
    await mia.send("/language en")
    for other in others:
        await other.send("/help")
    await mia.send("/help")
    await mia.send("/about")

    texts = await texts_until_quiet(mia, quiet=1.0)
    assert texts[1:] == [
        parse_html(catalog("en")("help.text"))[0],
        parse_html(catalog("en")("about.text"))[0],
    ]
    for other in others:
        assert await texts_until_quiet(other) == [parse_html(catalog("de")("help.text"))[0]]


async def test_what_start_up_loaded_is_kept_out_of_the_collectors_sight(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    """Full collections stalled answers and sends by 60-100 ms; start-up data is frozen."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with bot_against(sim, runtime):
        await wait_until(lambda: gc.get_freeze_count() > 0, timeout=30)
