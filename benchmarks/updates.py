"""Benchmark: one burst of member messages, handled by netcoach and by a bare PTB echo bot.

    .venv/bin/python -m benchmarks.updates [--members 2000] [--rounds 3] [--database sqlite|URL]

Both bots poll the same simulator (a child process, so its CPU is not the bots') in the
same run, taking turns for `--rounds` rounds; the medians are compared, since one busy
moment on a shared machine moves a single burst by a third. In each turn every member
sends one message at once, and when all are answered, a second one: the first is what a
bot meets after a broadcast, the second what it meets in a conversation. Throughput is
messages answered per second from the burst to the last reply, latency is per message
from its arrival at the simulator to the bot's reply. netcoach runs with its members
onboarded in a new database each round (SQLite, or PostgreSQL with `--database`),
answering `/help` and free text (nothing open: the pointer to /help). Its send ceiling is
set to the paid 1000/s, so Telegram's free 30/s does not decide the race; the echo bot
has no limiter at all.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["main"]

FIRST_ID = 1_000_000


def _simulator(conn: Connection) -> None:
    """Child process: serve the simulator; on request, inject a burst and time the replies."""
    from simulator import RecordedRequest, TelegramSimulator

    async def serve() -> None:
        async with TelegramSimulator(enforce_limits=False, record_requests=False) as sim:
            members = conn.recv()
            users = [sim.user(f"M{n}", user_id=FIRST_ID + n) for n in range(members)]
            replied: dict[int, float] = {}
            everyone = asyncio.Event()

            def on_request(request: RecordedRequest) -> None:
                chat_id = request.params.get("chat_id")
                if request.method == "sendMessage" and isinstance(chat_id, int):
                    replied.setdefault(chat_id, time.monotonic())
                    if len(replied) >= members:
                        everyone.set()

            sim.on_request(on_request)
            conn.send(sim.port)
            loop = asyncio.get_running_loop()
            while True:
                text = await loop.run_in_executor(None, conn.recv)
                if text is None:
                    return
                replied.clear()
                everyone.clear()
                sent: dict[int, float] = {}
                for user in users:
                    sent[user.id] = time.monotonic()
                    await user.send(text)
                started = min(sent.values())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(everyone.wait(), 300)
                latencies = sorted(replied[c] - sent[c] for c in replied if c in sent)
                conn.send(
                    {
                        "answered": len(replied),
                        "seconds": max(replied.values()) - started if replied else float("nan"),
                        "latencies": latencies,
                    }
                )

    asyncio.run(serve())


@asynccontextmanager
async def _echo_bot(base_url: str) -> AsyncIterator[None]:
    """The bare python-telegram-bot echo bot, default settings."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    application = Application.builder().token("123:TEST").base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=1)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


@asynccontextmanager
async def _netcoach(base_url: str, members: int, database_url: str) -> AsyncIterator[None]:
    """netcoach itself, with `members` onboarded members (none due) in an empty database."""
    from bot.clock import SystemClock
    from bot.runner import running_bot
    from bot.settings import Settings
    from bot.wiring import open_runtime
    from tests.support.members import add_members

    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        max_messages_per_second=1000,
        bot_token="123:TEST",
        _env_file=None,
    )
    async with open_runtime(settings, SystemClock()) as runtime:
        await add_members(runtime, [FIRST_ID + n for n in range(members)], language="en")
        quiet = replace(runtime, settings=settings.model_copy(update={"tick_seconds": 3600}))
        async with running_bot(quiet, token="123:TEST", base_url=base_url, poll_timeout=1):
            yield


def _burst(conn: Connection, text: str) -> dict[str, Any]:
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    conn.send(text)
    result: dict[str, Any] = conn.recv()
    after = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return result


async def _measure(
    conn: Connection,
    bot: Callable[[], AbstractAsyncContextManager[None]],
    text: str,
    *,
    warms_up: bool,
) -> list[dict[str, Any]]:
    """Two bursts against one running bot: every member's first message, then their second."""
    frozen = gc.get_freeze_count()
    async with bot():
        await asyncio.sleep(1)  # the first getUpdates is out
        # netcoach loads its city index in the background at start, then freezes what it
        # loaded out of the garbage collector's sight: wait for that, not into the burst.
        for _ in range(300):
            if not warms_up or gc.get_freeze_count() > frozen:
                break
            await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        return [await loop.run_in_executor(None, _burst, conn, text) for _ in range(2)]


def _row(
    name: str, text: str, burst: str, round_: int, result: dict[str, Any], members: int
) -> dict[str, Any]:
    latencies = result["latencies"] or [float("nan")]
    return {
        "bot": name,
        "message": text,
        "burst": burst,
        "round": round_,
        "answered": f"{result['answered']}/{members}",
        "per_second": round(result["answered"] / result["seconds"], 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "cpu_ms_per_update": round(1000 * result["cpu"] / max(1, result["answered"]), 2),
    }


@asynccontextmanager
async def _empty_database(server: str, directory: str, name: str) -> AsyncIterator[str]:
    """A new SQLite file, or a scratch PostgreSQL database dropped afterwards."""
    if server == "sqlite":
        yield f"sqlite+aiosqlite:///{directory}/{name}.db"
        return
    from tests.support.databases import create_postgres_database, drop_postgres_database

    url = await create_postgres_database(server)
    try:
        yield url
    finally:
        await drop_postgres_database(server, url)


async def _run(members: int, rounds: int, database: str) -> list[dict[str, Any]]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_simulator, args=(child,), daemon=True
    )
    process.start()
    parent.send(members)
    base_url = f"http://127.0.0.1:{parent.recv()}/bot"

    def echo() -> AbstractAsyncContextManager[None]:
        return _echo_bot(base_url)

    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for number, text in enumerate(("/help", "Danke, das hilft mir!")):
            # The two bots take turns, so a busy moment on the machine hits both alike.
            for round_ in range(1, rounds + 1):
                # A new database for every round, so every round starts alike.
                name = f"updates-{number}-{round_}"
                async with _empty_database(database, directory, name) as url:

                    def netcoach(url: str = url) -> AbstractAsyncContextManager[None]:
                        return _netcoach(base_url, members, url)

                    for bot_name, bot in (("echo", echo), ("netcoach", netcoach)):
                        first, second = await _measure(parent, bot, text, warms_up=bot is netcoach)
                        rows.append(_row(bot_name, text, "first", round_, first, members))
                        rows.append(_row(bot_name, text, "second", round_, second, members))
    parent.send(None)
    process.join(5)
    return rows


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main(argv: list[str] | None = None) -> int:
    """Run the bursts against both bots and print every round, the medians and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite, or a PostgreSQL server URL (a scratch database per round is created and "
        "dropped); postgres means NETCOACH_TEST_POSTGRES_URL",
    )
    args = parser.parse_args(argv)
    if args.database == "postgres":
        args.database = os.environ.get("NETCOACH_TEST_POSTGRES_URL", "")
        if not args.database:
            parser.error("--database postgres needs NETCOACH_TEST_POSTGRES_URL")
    # Both bots live in this process; freezing what is loaded now spares the echo bot the
    # same garbage-collector walks that netcoach's start-up spares itself.
    gc.freeze()
    rows = asyncio.run(_run(args.members, args.rounds, args.database))
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    print("medians over the rounds:")
    for text in dict.fromkeys(row["message"] for row in rows):
        for message in ("first", "second"):
            median = {
                bot: {
                    column: _median(
                        [
                            row[column]
                            for row in rows
                            if (row["bot"], row["message"], row["burst"]) == (bot, text, message)
                        ]
                    )
                    for column in ("per_second", "p50_ms", "p99_ms", "cpu_ms_per_update")
                }
                for bot in ("echo", "netcoach")
            }
            ratio = median["netcoach"]["per_second"] / median["echo"]["per_second"]
            print(
                f"{text!r}, {message} message of each member: echo {median['echo']}, "
                f"netcoach {median['netcoach']}; throughput ratio {ratio:.2f} (goal >= 0.7)"
            )
    print("reproduce:", " ".join([".venv/bin/python -m benchmarks.updates", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
