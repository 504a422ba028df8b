"""End-to-end harness: the real `Application` polling the simulator over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.domain.runtime import Runtime
from bot.runner import running_bot
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator

__all__ = ["bot_against", "chat", "edited", "labels", "press_and_see_edit", "texts_until_quiet"]


@asynccontextmanager
async def bot_against(
    sim: TelegramSimulator, runtime: Runtime
) -> AsyncIterator[NetcoachApplication]:
    """Run netcoach against the simulator until the block ends (short polls for quick stops)."""
    async with running_bot(runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1) as app:
        yield app


async def chat(
    user: SimUser, text: str, *, replies: int = 1, timeout: float = 10.0
) -> list[SimMessage]:
    """Send `text` and return the next `replies` bot messages.

    Replies keep a chat's pace (about one a second after a burst of five), so right after
    an onboarding the next answer may take a few seconds on a busy machine.
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
