"""`netcoach run` as an operator starts it: a real process polling a Bot API server on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from simulator import SimUser, TelegramSimulator

TOKEN = "123:ABC"


@asynccontextmanager
async def netcoach_run(sim: TelegramSimulator, database: Path) -> AsyncIterator[None]:
    """Start `python -m bot run` against the simulator; SIGKILL it when the block ends."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETCOACH_")} | {
        "NETCOACH_BOT_TOKEN": TOKEN,
        "NETCOACH_API_BASE_URL": sim.base_url,
        "NETCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    log = (database.parent / "netcoach.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=database.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()
        log.close()


async def _reply(user: SimUser, text: str, count: int = 1) -> list[str]:
    await user.send(text)
    # Generous: the first reply waits for the process to start and migrate the database.
    return [(await user.next_message(timeout=60)).text or "" for _ in range(count)]


async def test_netcoach_run_polls_telegram_and_a_kill_mid_onboarding_loses_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "netcoach.db"
    async with TelegramSimulator(TOKEN) as sim:
        hanna = sim.user("Hanna", language_code="de")
        async with netcoach_run(sim, database):
            welcome, _ = await _reply(hanna, "/start", 2)
            assert "Hallo Hanna" in welcome
            await _reply(hanna, "/language de")
            _, weekday_question = await _reply(hanna, "Köln", 2)
            assert "Wochentag" in weekday_question
        # Killed without warning. The member answers while the bot is down.
        await hanna.send("Freitag")
        async with netcoach_run(sim, database):
            time_question = await hanna.next_message(timeout=60)
            assert "Freitag" in (time_question.text or "")
            (done,) = await _reply(hanna, "08:15")
            assert "jeden Freitag um 08:15 Uhr" in done
        # The command menu was registered by the real process.
        assert {call.params.get("language_code") for call in sim.requests_for("setMyCommands")} >= {
            "de",
            "en",
        }

    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT language, timezone, slot_weekday, slot_minute, onboarded_at IS NOT NULL"
            " FROM users WHERE telegram_id = ?",
            (hanna.id,),
        ).fetchone()
    assert row == ("de", "Europe/Berlin", 4, 8 * 60 + 15, 1)
