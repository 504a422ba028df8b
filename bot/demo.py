"""`netcoach chat`: the simulator and the bot in one process, and you in the terminal."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.clock import ShiftableClock
from bot.domain.durations import parse_duration
from bot.runner import running_bot
from bot.settings import Settings
from bot.wiring import open_runtime
from simulator import ButtonNotFound, SimEvent, SimMessage, SimUser, TelegramSimulator
from storage.engine import create_engine
from storage.users import count_members_except

__all__ = ["DEMO_USER_ID", "DemoConsole", "DemoRefused", "run_demo"]

DEMO_TOKEN = "100000:DEMO-local-simulator"
DEMO_USER_ID = 424242
# Before leaving, the demo waits for an answer to the last thing sent and then for the bot
# to be silent this long (all of it at most the limit).
QUIET_SECONDS = 0.5
QUIET_LIMIT_SECONDS = 10.0
# Berlin, for the demo's "share location" button.
DEMO_LOCATION = (52.52, 13.405)

HELP = """\
You are chatting with netcoach through a local Telegram simulator.
  type text or /commands    as in Telegram (try /start)
  :1, :2 ...                press button 1, 2 ... of the latest message with buttons
  :wait 7d                  move the bot's clock forward (also 2h, 30m, 1w)
  :location LAT LON         share a location (a location button shares Berlin)
  :sticker                  send a sticker
  :edit TEXT                edit the last text you sent (as Telegram's "Edit")
  :help                     this text
  :quit                     leave (Ctrl-D works too)"""


class DemoRefused(Exception):
    """The demo was pointed at a database that holds real members; it leaves such data alone."""


async def _refuse_real_members(database_url: str) -> None:
    """Stop before anything is migrated or sent if the database has members besides the demo's.

    The demo's dispatcher sends to the simulator, which knows none of them: it would
    answer "chat not found" and they would be marked as having blocked the bot.
    """
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            others = await count_members_except(connection, {DEMO_USER_ID})
    finally:
        await engine.dispose()
    if others:
        raise DemoRefused(
            f"this database holds {others} real member(s); the demo only runs on a database "
            "of its own (leave out --db, or give a new file)"
        )


class DemoConsole:
    """Turns terminal lines into user actions and bot events into terminal lines."""

    def __init__(
        self,
        user: SimUser,
        clock: ShiftableClock,
        out: TextIO,
        on_clock_moved: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.user = user
        self.clock = clock
        self.out = out
        self.on_clock_moved = on_clock_moved
        # For `until_quiet`: when the bot last showed something, and whether something the
        # person sent (text, a command, a press) has had no answer yet.
        self.last_shown = time.monotonic()
        self.awaiting_answer = False
        self._buttons: list[tuple[SimMessage, str, str | None, bool]] = []
        self._location_labels: set[str] = set()
        self._last_sent: SimMessage | None = None

    def show(self, event: SimEvent) -> None:
        """Print what the bot did."""
        self.last_shown = time.monotonic()
        self.awaiting_answer = False
        if event.kind in ("message", "edit") and event.message is not None:
            self._show_message(event.message, edited=event.kind == "edit")
        elif event.kind == "callback_answer" and event.answer is not None and event.answer.text:
            self._print(f"netcoach (notice) ▸ {event.answer.text}")

    def _show_message(self, message: SimMessage, *, edited: bool) -> None:
        marker = "✎" if edited else "▸"
        body = message.body
        if message.document is not None:
            body += f"\n[document: {message.document.filename}, {message.document.size} bytes]"
        if message.photo is not None:
            body += f"\n[picture, {message.photo.size} bytes]"
        self._print(f"netcoach {marker} " + body.replace("\n", "\n           "))
        labels: list[tuple[SimMessage, str, str | None, bool]] = [
            (message, b.text, b.data, False) for b in message.buttons
        ]
        location_labels = {
            b["text"]
            for row in (message.reply_markup or {}).get("keyboard") or []
            for b in row
            if isinstance(b, dict) and b.get("request_location")
        }
        labels += [(message, label, None, True) for row in message.reply_keyboard for label in row]
        if (
            edited
            and not labels
            and any(shown.message_id == message.message_id for shown, *_ in self._buttons)
        ):
            # The message whose buttons were on offer lost them (an answered question).
            self._buttons = []
        if labels:
            self._buttons = labels
            shown = "  ".join(f"[{i}] {label}" for i, (_, label, _, _) in enumerate(labels, 1))
            self._print(f"           {shown}")
            self._location_labels = location_labels

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    async def until_quiet(self) -> None:
        """Wait (boundedly) until the last thing sent has an answer and the bot has gone quiet.

        Input piped in (a script, a test) ends long before the answers to its last lines.
        """
        deadline = time.monotonic() + QUIET_LIMIT_SECONDS
        while time.monotonic() < deadline:
            silent_for = time.monotonic() - self.last_shown
            if not self.awaiting_answer and silent_for >= QUIET_SECONDS:
                return
            await asyncio.sleep(0.05)

    async def handle(self, line: str) -> bool:
        """Act on one line of input; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line == ":help":
            self._print(HELP)
        elif line.startswith(":wait"):
            await self._wait(line.removeprefix(":wait").strip())
        elif line.startswith(":location"):
            await self._location(line.removeprefix(":location").split())
        elif line == ":sticker":
            self.awaiting_answer = True
            await self.user.send_sticker()
        elif line.startswith(":edit"):
            await self._edit(line.removeprefix(":edit").strip())
        elif line[1:].isdigit() and line.startswith(":"):
            await self._press(int(line[1:]))
        elif line.startswith(":"):
            self._print("Unknown demo command. :help lists them.")
        else:
            self.awaiting_answer = True
            self._last_sent = await self.user.send(line)
        return True

    async def _edit(self, text: str) -> None:
        if self._last_sent is None or not text:
            self._print("Send a text first, then :edit NEW TEXT")
            return
        await self.user.edit(self._last_sent, text)
        self._print(f"(you edited your message to: {text})")

    async def _wait(self, argument: str) -> None:
        delta = parse_duration(argument)
        if delta is None:
            self._print("Say how long, e.g. :wait 7d or :wait 2h")
            return
        self.clock.advance(delta)
        self._print(f"(the bot's clock now says {self.clock.now():%a %d %b %Y %H:%M} UTC)")
        if self.on_clock_moved is not None:
            await self.on_clock_moved()

    async def _location(self, parts: list[str]) -> None:
        try:
            latitude, longitude = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            self._print("Give latitude and longitude, e.g. :location 48.14 11.58")
            return
        self.awaiting_answer = True
        await self.user.send_location(latitude, longitude)

    async def _press(self, number: int) -> None:
        if not 1 <= number <= len(self._buttons):
            self._print("There is no button with that number.")
            return
        message, label, data, is_reply_button = self._buttons[number - 1]
        self.awaiting_answer = True
        if not is_reply_button:
            try:
                await self.user.press(message, data=data)
            except ButtonNotFound:
                # Gone since it was shown (the message changed): Telegram would not offer it.
                self.awaiting_answer = False
                self._print("That button is no longer there.")
        elif label in self._location_labels:
            await self.user.send_location(*DEMO_LOCATION)
        else:
            await self.user.send(label)


async def _read_line(stream: TextIO) -> str:
    """One line from the terminal without blocking the bot; empty at end of input."""
    return await asyncio.to_thread(stream.readline)


async def run_demo(
    settings: Settings,
    *,
    database_url: str | None,
    language: str | None,
    name: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    """Start simulator and bot, then relay between the terminal and the simulated chat.

    `database_url` None means a throw-away SQLite file. A database with members besides
    the demo's is refused (`DemoRefused`) before anything touches it.
    """
    with tempfile.TemporaryDirectory(prefix="netcoach-demo-") as scratch:
        database_url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'demo.db'}"
        await _refuse_real_members(database_url)
        # The demo is one person at a terminal: nothing to monitor, no port to take.
        demo_settings = settings.model_copy(
            update={"database_url": database_url, "health_port": None}
        )
        clock = ShiftableClock()
        async with (
            TelegramSimulator(DEMO_TOKEN) as sim,
            open_runtime(demo_settings, clock, warn_without_key=False) as runtime,
            running_bot(
                runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1
            ) as application,
        ):
            user = sim.user(
                name, user_id=DEMO_USER_ID, language_code=language or settings.default_language
            )
            dispatcher = application.bot_data.dispatcher

            async def look_for_due_work() -> None:
                # The tick would find it within NETCOACH_TICK_SECONDS; the demo looks at once.
                dispatcher.kick()

            console = DemoConsole(user, clock, stdout, on_clock_moved=look_for_due_work)
            print(HELP, file=stdout, flush=True)
            printer = asyncio.create_task(_print_events(user, console))
            try:
                while line := await _read_line(stdin):
                    if not await console.handle(line):
                        break
            finally:
                await console.until_quiet()
                printer.cancel()


async def _print_events(user: SimUser, console: DemoConsole) -> None:
    while True:
        try:
            event = await user.next_event(timeout=3600)
        except TimeoutError:
            continue
        console.show(event)
