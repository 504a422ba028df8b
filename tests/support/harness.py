"""End-to-end harness: the real `Application` polling the simulator over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.domain.runtime import Runtime
from bot.runner import running_bot
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator

__all__ = [
    "UNPACED_CHAT_RATE",
    "all_updates_handled",
    "bot_against",
    "chat",
    "edited",
    "labels",
    "press_and_see_edit",
    "texts_until_quiet",
]

# Messages a second a simulator lets into one chat when the pace in a chat is not the
# story (see the `sim` fixture): far more than any test sends, so no chat is ever held.
UNPACED_CHAT_RATE = 1000.0


@asynccontextmanager
async def bot_against(
    sim: TelegramSimulator, runtime: Runtime
) -> AsyncIterator[NetcoachApplication]:
    """Run netcoach against the simulator until the block ends (short polls for quick stops).

    The bot keeps the pace in one chat that the simulator holds chats to: Telegram's
    (about a message a second) unless the test lifted it.
    """
    chat_gap = 1.0 / sim.limiter.per_chat_rate
    async with running_bot(
        runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1, chat_gap=chat_gap
    ) as app:
        yield app


def all_updates_handled(sim: TelegramSimulator, app: NetcoachApplication) -> bool:
    """Whether the bot's handlers have ended for every update the simulator made so far."""
    handled = app.bot_data.metrics.registry.get_sample_value(
        "netcoach_update_handling_seconds_count"
    )
    return handled == sim.stats.updates_created


async def chat(
    user: SimUser, text: str, *, replies: int = 1, timeout: float = 10.0
) -> list[SimMessage]:
    """Send `text` and return the next `replies` bot messages.

    Where a test keeps Telegram's pace in one chat (about one a second after a burst of
    five), the next answer right after an onboarding may take a few seconds.
    """
    await user.send(text)
    return [await user.next_message(timeout=timeout) for _ in range(replies)]


async def texts_until_quiet(user: SimUser, quiet: float = 0.3) -> list[str]:
    """Collect every bot message until none arrives for `quiet` seconds."""
    texts: list[str] = []
    while True:
        try:
            message = await user.next_message(timeout=quiet)
        except TimeoutError:
            return texts
        texts.append(message.text or "")


def labels(message: SimMessage) -> list[str]:
    """The labels of a message's inline buttons, row by row."""
    return [button.text for button in message.buttons]


async def press_and_see_edit(user: SimUser, message: SimMessage, label: str) -> SimMessage:
    """Press a button and return the message once the bot has edited it in place."""
    await user.press(message, label)
    return await edited(user, message)


async def edited(user: SimUser, message: SimMessage, timeout: float = 5.0) -> SimMessage:
    """The message once the bot has edited it (after a button press)."""
    before = (message.text, list(message.buttons))
    for _ in range(int(timeout / 0.05)):
        current = next(m for m in user.messages if m.message_id == message.message_id)
        if (current.text, list(current.buttons)) != before:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"{message!r} was not edited")
