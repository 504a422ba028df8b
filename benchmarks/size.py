"""Benchmark: memory and start-up of `netcoach run`, its pictures and its first city answer.

    .venv/bin/python -m benchmarks.size [--members 100 100000] [--pictures 100]
        [--starts 3] [--baseline DIR] [--no-run-daily]

One run measures, for each size, a SQLite database filled with that many onboarded
members (none due; cloned in bulk with one `INSERT … SELECT`), and `netcoach run` started
as a process of its own against the simulator (a child process of this one):

- start-up: process start -> its first getUpdates (an update is waiting, so that poll is
  answered at once), and the CPU the process used until then; the median of `--starts`
  start-ups (single ones moved by a third on this shared machine);
- idle memory: the bot's VmRSS two seconds after that, after the first dispatch tick
  (median of the same start-ups);
- the first city answer: the time from a member's "/timezone München" (the process's first
  city look-up; the city index file already built) to the bot's answer: as the very first
  answer after start-up (median of all start-ups but the last), and, on the last one,
  right after a "/timezone Europe/Berlin" (no look-up), so the difference between the two
  is the look-up's own, and then "/timezone Wien" (index open);
- on the largest size, pictures: `--pictures` `/review`s (twenty-five members with a year
  of history each, in turn, one after the other), with the bot's RSS and its children's
  (the chart worker of older trees) after 1, 5, 10, 25, 50 and 100 pictures, and the CPU
  per `/review` (the bot's, its children's included).

Before all that it builds the city index once into a fresh cache directory and says what
that cost (what the very first start of a new install does in the background). Next to
netcoach, the common way: a minimal python-telegram-bot app that reads the same members
and schedules one `run_daily` job per member before it starts polling. `--baseline DIR`
also runs the bot from another source tree (e.g. `git archive main | tar -x -C DIR`), each
measurement right after the same one of this tree's, for a side-by-side comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["main"]

FIRST_ID = 1_000_000
SETTLE_SECONDS = 2.0
MEMBERS_WITH_HISTORY = 25
PICTURE_MARKS = (1, 5, 10, 25, 50, 100, 200, 500)


def _fill(path: Path, members: int) -> None:
    """A migrated database with `members` onboarded members, cloned in bulk from one row.

    The first few get a year of history each, for pictures worth drawing.
    """
    from bot.clock import SystemClock
    from bot.settings import Settings
    from bot.wiring import open_runtime
    from tests.support.history import HistoryBuilder, year_of_history
    from tests.support.members import add_members

    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{path}", _env_file=None
    )

    async def template() -> None:
        async with open_runtime(settings, SystemClock(), warn_without_key=False) as runtime:
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
        ids = [
            row[0]
            for row in db.execute(
                "SELECT id FROM users ORDER BY telegram_id LIMIT ?", (MEMBERS_WITH_HISTORY,)
            )
        ]

    async def histories() -> None:
        async with open_runtime(settings, SystemClock(), warn_without_key=False) as runtime:
            now = runtime.clock.now()
            for user_id in ids:
                await year_of_history(HistoryBuilder(runtime, user_id), now)

    asyncio.run(histories())


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far (not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_with_children_seconds(pid: int) -> float:
    """CPU of the process, of its children it has waited for, and of those still running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    seconds = ticks / os.sysconf("SC_CLK_TCK")
    for child in _children(pid):
        try:
            seconds += _cpu_seconds(child)
        except OSError:
            continue  # ended meanwhile
    return seconds


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def _memory(pid: int) -> dict[str, float]:
    """The bot's RSS, its children's (an older tree's chart worker), and both, in MiB."""
    own = _rss_kib(pid)
    children = 0
    for child in _children(pid):
        try:
            children += _rss_kib(child)
        except (OSError, RuntimeError):
            continue  # ended meanwhile
    return {"bot": _mib(own), "worker": _mib(children), "together": _mib(own + children)}


async def _answer_ms(user: Any, text: str) -> float:
    began = time.perf_counter()
    await user.send(text)
    await user.next_message(timeout=60)
    elapsed = (time.perf_counter() - began) * 1000
    await asyncio.sleep(0.3)
    user.unread()  # whatever else the answer brought
    return round(elapsed, 1)


async def _pictures(sim: Any, pid: int, count: int) -> dict[str, Any]:
    """`count` /reviews one after the other; memory at the marks, and the most at any time.

    Older trees draw in a worker process replaced every 50 pictures, so right after the
    50th and the 100th it is gone; the highest reading after any picture says what the two
    took together.
    """
    members = [sim.user(f"M{n}", user_id=FIRST_ID + n) for n in range(MEMBERS_WITH_HISTORY)]
    marks: dict[int, dict[str, float]] = {}
    most = {"bot": 0.0, "worker": 0.0, "together": 0.0}
    began = time.perf_counter()
    cpu_before = _cpu_with_children_seconds(pid)
    for number in range(1, count + 1):
        member = members[(number - 1) % len(members)]
        await member.send("/review")
        photo = await member.next_message(timeout=120, predicate=lambda m: m.photo is not None)
        assert photo.photo is not None
        member.unread()
        memory = _memory(pid)
        most = {key: max(most[key], memory[key]) for key in most}
        if number in PICTURE_MARKS or number == count:
            marks[number] = memory
    seconds = time.perf_counter() - began
    cpu = _cpu_with_children_seconds(pid) - cpu_before
    return {
        "marks": marks,
        "most": most,
        "seconds_per_picture": round(seconds / count, 3),
        "cpu_ms_per_picture": round(cpu / count * 1000, 1),
    }


async def _measure(
    argv: list[str],
    env: dict[str, str],
    sim: Any,
    *,
    cwd: str | None = None,
    session: Any = None,
) -> dict[str, Any]:
    """Start a bot process; time its first getUpdates, read its memory, then run `session`."""
    first_poll = asyncio.get_running_loop().create_future()

    cpu_at_poll: list[float] = []

    def on_request(request: Any) -> None:
        if request.method == "getUpdates" and not first_poll.done():
            first_poll.set_result(time.monotonic())
            cpu_at_poll.append(_cpu_seconds(process.pid))

    unhook = sim.on_request(on_request)
    # The simulator reports a request when it answers it; with an update waiting, the
    # first getUpdates is answered at once instead of after a whole long poll.
    await sim.user("Waiting", user_id=FIRST_ID - 1).send("hello")
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    result: dict[str, Any] = {}
    try:
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait([first_poll, exited], timeout=600, return_when="FIRST_COMPLETED")
        if not first_poll.done():
            raise RuntimeError(f"{argv} never polled (exit code {process.returncode})")
        exited.cancel()
        polled = first_poll.result()
        await asyncio.sleep(SETTLE_SECONDS)
        result["startup_s"] = round(polled - started, 2)
        result["startup_cpu_s"] = round(cpu_at_poll[0], 2)
        result["rss_mib"] = _mib(_rss_kib(process.pid))
        if session is not None:
            result |= await session(process.pid)
    finally:
        unhook()
        process.terminate()
        await process.wait()
    return result


async def _measure_starts(
    starts: int, argv: list[str], env: dict[str, str], sim: Any, **options: Any
) -> dict[str, Any]:
    """`starts` start-ups; medians of time, CPU and memory, and of the first answer.

    Each but the last runs `first_session` (a city name as the very first answer); the
    last runs `session`.
    """
    session = options.pop("session", None)
    first_session = options.pop("first_session", None)
    runs = [
        await _measure(argv, env, sim, session=first_session, **options) for _ in range(starts - 1)
    ]
    runs.append(await _measure(argv, env, sim, session=session, **options))
    result = dict(runs[-1])
    for key in ("startup_s", "startup_cpu_s", "rss_mib"):
        result[key] = round(statistics.median(run[key] for run in runs), 2)
    result["startups"] = [run["startup_s"] for run in runs]
    firsts = [run["city_as_first_answer_ms"] for run in runs[:-1]]
    result["city_as_first_answer_ms"] = round(statistics.median(firsts), 1) if firsts else None
    return result


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


def _build_city_index(cache: Path) -> dict[str, float]:
    """Build the city index as a first start does (a child process); time and size."""
    import subprocess

    probe = (
        "from pathlib import Path; from bot.domain.city_index import use_cache_dir, "
        f"ensure_city_index; use_cache_dir(Path({str(cache)!r})); print(ensure_city_index())"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    path = Path(done.stdout.strip())
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "peak_rss_mib": round(after.ru_maxrss / 1024, 1),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }


async def _run(
    sizes: list[int], pictures: int, baseline: str | None, run_daily: bool, starts: int
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    from simulator import TelegramSimulator

    bots: list[tuple[str, str | None]] = [("netcoach", None)]
    if baseline is not None:
        bots.append(("baseline", baseline))
    rows: list[dict[str, Any]] = []
    pictures_seen: dict[str, dict[str, Any]] = {}
    async with TelegramSimulator(enforce_limits=False, record_requests=False) as sim:
        env = {key: value for key, value in os.environ.items() if not key.startswith("NETCOACH_")}
        with tempfile.TemporaryDirectory() as scratch:
            cache = Path(scratch) / "cache"
            index = await asyncio.to_thread(_build_city_index, cache)
            print("city index built:", index, flush=True)
            for members in sizes:
                path = Path(scratch) / f"size-{members}.db"
                began = time.monotonic()
                await asyncio.to_thread(_fill, path, members)
                filled = time.monotonic() - began
                largest = members == max(sizes)

                async def first_session(pid: int) -> dict[str, Any]:
                    asker = sim.user("Asker", user_id=FIRST_ID + MEMBERS_WITH_HISTORY)
                    asker.unread()
                    city = await _answer_ms(asker, "/timezone München")
                    return {"city_as_first_answer_ms": city}

                async def session(pid: int, largest: bool = largest) -> dict[str, Any]:
                    asker = sim.user("Asker", user_id=FIRST_ID + MEMBERS_WITH_HISTORY)
                    asker.unread()
                    # An answer without a look-up first, so the city's answer after it
                    # shows what the look-up itself costs, not a first answer's costs.
                    found: dict[str, Any] = {
                        "iana_answer_ms": await _answer_ms(asker, "/timezone Europe/Berlin"),
                        "city_answer_ms": await _answer_ms(asker, "/timezone München"),
                        "second_city_answer_ms": await _answer_ms(asker, "/timezone Wien"),
                        "rss_after_city_mib": _mib(_rss_kib(pid)),
                    }
                    if largest and pictures:
                        found["pictures"] = await _pictures(sim, pid, pictures)
                    return found

                jobs = (
                    await _measure(
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
                    if run_daily
                    else {"startup_s": None, "rss_mib": None}
                )
                for name, tree in bots:
                    measured = await _measure_starts(
                        starts,
                        [sys.executable, "-m", "bot", "run"],
                        env
                        | {
                            "NETCOACH_BOT_TOKEN": sim.token,
                            "NETCOACH_API_BASE_URL": sim.base_url,
                            "NETCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
                            "NETCOACH_CACHE_DIR": str(cache),
                            "XDG_CACHE_HOME": str(cache),
                        },
                        sim,
                        cwd=tree,
                        session=session,
                        first_session=first_session,
                    )
                    if "pictures" in measured:
                        pictures_seen[name] = measured.pop("pictures")
                    rows.append(
                        {
                            "members": members,
                            "bot": name,
                            "startup_s": measured["startup_s"],
                            "startup_cpu_s": measured["startup_cpu_s"],
                            "startups": measured["startups"],
                            "idle_rss_mib": measured["rss_mib"],
                            "city_as_first_answer_ms": measured["city_as_first_answer_ms"],
                            "iana_answer_ms": measured["iana_answer_ms"],
                            "first_city_answer_ms": measured["city_answer_ms"],
                            "second_city_answer_ms": measured["second_city_answer_ms"],
                            "rss_after_city_mib": measured["rss_after_city_mib"],
                            "run_daily_startup_s": jobs["startup_s"],
                            "run_daily_rss_mib": jobs["rss_mib"],
                            "db_fill_s": round(filled, 1),
                        }
                    )
                    print(rows[-1], flush=True)
                path.unlink()
    return index, rows, pictures_seen


def main(argv: list[str] | None = None) -> int:
    """Measure each size and print the tables, the spread and the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[100, 100_000])
    parser.add_argument("--pictures", type=int, default=100)
    parser.add_argument("--starts", type=int, default=3, help="start-ups per size (median)")
    parser.add_argument(
        "--baseline", help="also run the bot from this source tree (an older commit), alike"
    )
    parser.add_argument("--no-run-daily", action="store_true", help="skip the run_daily app")
    parser.add_argument("--ptb-jobs", nargs=2, metavar=("DATABASE", "BASE_URL"), help="internal")
    args = parser.parse_args(argv)
    if args.ptb_jobs:
        _ptb_jobs(*args.ptb_jobs)
        return 0
    baseline = str(Path(args.baseline).resolve()) if args.baseline else None
    started = datetime.now().isoformat(timespec="seconds")
    index, rows, pictures = asyncio.run(
        _run(args.members, args.pictures, baseline, not args.no_run_daily, args.starts)
    )
    print(f"\nrun of {started}, load average now {os.getloadavg()[0]:.2f}")
    print(
        f"city index: built in {index['seconds']} s ({index['cpu_s']} s CPU, peak "
        f"{index['peak_rss_mib']} MiB, in a child), {index['file_mb']} MB on disk"
    )
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    for name in sorted({row["bot"] for row in rows}):
        for key in ("startup_s", "startup_cpu_s", "idle_rss_mib"):
            values = [row[key] for row in rows if row["bot"] == name]
            spread = max(values) / min(values)
            print(f"{name} {key}: largest/smallest = {spread:.2f} (goal for netcoach <= 1.2)")
    for key in ("run_daily_startup_s", "run_daily_rss_mib"):
        values = sorted({row[key] for row in rows if row[key] is not None})
        if values:
            print(f"{key}: largest/smallest = {max(values) / min(values):.2f}")
    for name, seen in pictures.items():
        print(
            f"{name}, pictures ({seen['seconds_per_picture']} s each, one after the other; "
            f"{seen['cpu_ms_per_picture']} ms of CPU each, the bot's and its children's):"
        )
        print("pictures | bot MiB | chart worker MiB | together MiB")
        for number, memory in seen["marks"].items():
            print(f"{number} | {memory['bot']} | {memory['worker']} | {memory['together']}")
        most = seen["most"]
        print(f"most after any picture | {most['bot']} | {most['worker']} | {most['together']}")
    print("reproduce:", " ".join([".venv/bin/python -m benchmarks.size", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
