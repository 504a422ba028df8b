"""Benchmark: memory and start-up of `netcoach run` with 100, 10,000 and 100,000 members.

    .venv/bin/python -m benchmarks.size [--members 100 10000 100000]

For each size a SQLite database is filled with that many onboarded members (none due),
then `netcoach run` starts as a process of its own against the simulator. Start-up is
the time from process start to its first getUpdates (an update is waiting, so it is
answered at once); memory is the process's resident
set (VmRSS in /proc/<pid>/status) two seconds later, after the first dispatch tick.
Next to it, the common way: a minimal python-telegram-bot app that reads the same
members and schedules one `run_daily` job per member before it starts polling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

FIRST_ID = 1_000_000
SETTLE_SECONDS = 2.0


def _fill(path: Path, members: int) -> None:
    """A migrated database with `members` onboarded members, cloned in bulk from one row."""
    from bot.clock import SystemClock
    from bot.settings import Settings
    from bot.wiring import open_runtime
    from tests.support.members import add_members

    async def template() -> None:
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{path}", _env_file=None
        )
        async with open_runtime(settings, SystemClock()) as runtime:
            await add_members(runtime, [FIRST_ID])

    asyncio.run(template())
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(users)") if row[1] != "id"]
        copied = ", ".join(columns)
        chosen = ", ".join(
            f"{FIRST_ID} + n" if c in ("telegram_id", "chat_id") else c for c in columns
        )
        db.execute(
            f"INSERT INTO users ({copied}) WITH RECURSIVE s(n) AS "
            f"(SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) "
            f"SELECT {chosen} FROM s, (SELECT * FROM users WHERE telegram_id = ?)",
            (members - 1, FIRST_ID),
        )


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _measure(argv: list[str], env: dict[str, str], sim: Any) -> dict[str, float]:
    """Start a bot process; time its first getUpdates and read its memory after a while."""
    first_poll = asyncio.get_running_loop().create_future()

    def on_request(request: Any) -> None:
        if request.method == "getUpdates" and not first_poll.done():
            first_poll.set_result(time.monotonic())

    unhook = sim.on_request(on_request)
    # The simulator reports a request when it answers it; with an update waiting, the
    # first getUpdates is answered at once instead of after a whole long poll.
    await sim.user("Waiting", user_id=FIRST_ID - 1).send("hello")
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait([first_poll, exited], timeout=600, return_when="FIRST_COMPLETED")
        if not first_poll.done():
            raise RuntimeError(f"{argv} never polled (exit code {process.returncode})")
        exited.cancel()
        polled = first_poll.result()
        await asyncio.sleep(SETTLE_SECONDS)
        rss = _rss_kib(process.pid)
    finally:
        unhook()
        process.terminate()
        await process.wait()
    return {"startup_s": round(polled - started, 2), "rss_mib": round(rss / 1024, 1)}


def _ptb_jobs(database: str, base_url: str) -> None:
    """The common way: one `run_daily` job per member, built at start-up."""
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from telegram.ext import Application, ContextTypes

    async def prompt(context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.job is not None and isinstance(context.job.chat_id, int)
        await context.bot.send_message(context.job.chat_id, "Your weekly prompt")

    application = Application.builder().token("123:TEST").base_url(base_url).build()
    assert application.job_queue is not None
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT chat_id, timezone, slot_weekday, slot_minute FROM users"
            " WHERE slot_minute IS NOT NULL"
        )
        for chat_id, zone, weekday, minute in rows:
            at = clock_time(minute // 60, minute % 60, tzinfo=ZoneInfo(zone))
            # PTB counts days from Sunday = 0; ours from Monday = 0.
            application.job_queue.run_daily(
                prompt, at, days=((weekday + 1) % 7,), chat_id=chat_id, name=str(chat_id)
            )
    application.run_polling(poll_interval=0.0, timeout=1, close_loop=False)


async def _run(sizes: list[int]) -> list[dict[str, Any]]:
    from simulator import TelegramSimulator

    rows: list[dict[str, Any]] = []
    async with TelegramSimulator(enforce_limits=False, record_requests=False) as sim:
        env = {key: value for key, value in os.environ.items() if not key.startswith("NETCOACH_")}
        for members in sizes:
            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory) / "size.db"
                began = time.monotonic()
                await asyncio.to_thread(_fill, path, members)
                filled = time.monotonic() - began
                ours = await _measure(
                    [sys.executable, "-m", "bot", "run"],
                    env
                    | {
                        "NETCOACH_BOT_TOKEN": sim.token,
                        "NETCOACH_API_BASE_URL": sim.base_url,
                        "NETCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
                    },
                    sim,
                )
                jobs = await _measure(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.size",
                        "--ptb-jobs",
                        str(path),
                        sim.base_url,
                    ],
                    env,
                    sim,
                )
            rows.append(
                {
                    "members": members,
                    "netcoach_startup_s": ours["startup_s"],
                    "netcoach_rss_mib": ours["rss_mib"],
                    "run_daily_startup_s": jobs["startup_s"],
                    "run_daily_rss_mib": jobs["rss_mib"],
                    "db_fill_s": round(filled, 1),
                }
            )
            print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Measure each size and print a table, the spread and the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--ptb-jobs", nargs=2, metavar=("DATABASE", "BASE_URL"), help="internal")
    args = parser.parse_args(argv)
    if args.ptb_jobs:
        _ptb_jobs(*args.ptb_jobs)
        return 0
    rows = asyncio.run(_run(args.members))
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    for key in (
        "netcoach_startup_s",
        "netcoach_rss_mib",
        "run_daily_startup_s",
        "run_daily_rss_mib",
    ):
        values = [row[key] for row in rows]
        print(
            f"{key}: largest/smallest = {max(values) / min(values):.2f} (goal for netcoach <= 1.2)"
        )
    print("reproduce:", " ".join([".venv/bin/python -m benchmarks.size", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
