"""`netcoach chat`: a person chats with the bot in the terminal, presses buttons, moves time."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable

import pytest

from bot.demo import run_demo
from bot.settings import Settings
from tests.support.monitoring import free_port


class _Terminal:
    """A pipe the demo reads lines from, and a buffer it prints to."""

    def __init__(self) -> None:
        read_end, self._write_end = os.pipe()
        self.stdin = os.fdopen(read_end, "r", encoding="utf-8")
        self.stdout = io.StringIO()
        self._seen = 0

    def type(self, line: str) -> None:
        os.write(self._write_end, (line + "\n").encode())

    def close(self) -> None:
        os.close(self._write_end)

    async def shows(self, text: str, timeout: float = 10.0) -> str:
        """Wait until `text` appears in output printed after the last call; return that output."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.stdout.getvalue()[self._seen :]:
            if loop.time() > deadline:
                raise AssertionError(f"{text!r} never appeared in:\n{self.stdout.getvalue()}")
            await asyncio.sleep(0.02)
        new = self.stdout.getvalue()[self._seen :]
        self._seen = len(self.stdout.getvalue())
        return new


async def _session(
    terminal: _Terminal, settings: Settings, steps: Callable[[], Awaitable[None]]
) -> None:
    demo = asyncio.create_task(
        run_demo(
            settings,
            database_url=None,
            language="en",
            name="Tess",
            stdin=terminal.stdin,
            stdout=terminal.stdout,
        )
    )
    try:
        await steps()
    finally:
        terminal.type(":quit")
        await asyncio.wait_for(demo, 10)
        terminal.close()
        terminal.stdin.close()


async def test_a_person_sets_up_netcoach_in_the_terminal_with_numbered_buttons() -> None:
    terminal = _Terminal()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    async def steps() -> None:
        await terminal.shows(":wait 7d")  # the help text comes first
        terminal.type("/start")
        shown = await terminal.shows("[2] English")
        assert "netcoach ▸ Hi Tess!" in shown
        terminal.type(":2")
        shown = await terminal.shows("[1] 📍 Share location")
        assert "✓ English" in shown  # the answered question is shown as edited
        terminal.type(":1")  # the location button shares Berlin's coordinates
        shown = await terminal.shows("[1] Mon")
        assert "Europe/Berlin" in shown
        terminal.type(":5")
        await terminal.shows("And at what time on Friday?")
        terminal.type("18:45")
        shown = await terminal.shows("every Friday at 18:45")
        terminal.type(":wait 7d")  # past Friday 18:45: the first prompt comes
        shown = await terminal.shows("[1] ✍️ Reflect now")
        assert "Networking is relationship work" in shown
        terminal.type(":1")
        await terminal.shows("a few sentences are plenty")
        terminal.type("I will call Mia back on Monday.")
        shown = await terminal.shows("Your first note is in /journal.")
        assert "New contact: Mia?" in shown  # a name in the note is offered, not made
        terminal.type(":42")
        await terminal.shows("There is no button with that number.")
        terminal.type(":wait soon")
        await terminal.shows("Say how long")

    await _session(terminal, settings, steps)


async def test_the_demo_opens_no_health_port_even_when_one_is_configured() -> None:
    terminal = _Terminal()
    port = free_port()
    settings = Settings(health_port=port, _env_file=None)  # type: ignore[call-arg]

    async def steps() -> None:
        await terminal.shows(":wait 7d")
        terminal.type("/start")
        await terminal.shows("[2] English")  # the bot is up and answering
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    await _session(terminal, settings, steps)


async def test_pressing_a_button_twice_in_the_demo_says_it_is_gone_and_the_chat_goes_on() -> None:
    terminal = _Terminal()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    async def steps() -> None:
        await terminal.shows(":wait 7d")
        terminal.type("/met Anna")
        await terminal.shows("New contact: Anna?")
        terminal.type(":1")  # yes, a new contact
        await terminal.shows("who gave?")  # the give-and-take question
        terminal.type(":1")
        await terminal.shows("✎")  # answered: the question is edited, only ↩️ Undo is left
        terminal.type(":2")  # where "I received" was
        await terminal.shows("There is no button with that number.")
        terminal.type("/help")
        await terminal.shows("/commit")  # the demo is still running and answering

    await _session(terminal, settings, steps)
