"""Benchmark: one member's input or list cannot hold up the others (issue 12, rows 2 and 6).

    .venv/bin/python -m benchmarks.isolation parser
    .venv/bin/python -m benchmarks.isolation flood [--rounds 5]
    .venv/bin/python -m benchmarks.isolation contacts [--contacts 1000]

`parser`: a member who was asked "by when?" answers with the worst texts found (4,096
characters of dates, weekdays, "by"…, and the same cut to what the bot now reads); for
each answer the wall time of the domain call and the longest stall of the event loop
while it ran (a ticker sleeping 1 ms measures it), in a new SQLite database.

`flood`: the same worst answers sent `--rounds` times in a row by one member through the
real Application, polling the simulator (a child process, limits off); meanwhile other
members send `/help` 50 ms after each answer (twenty taking turns, so each asks about
once a second) and time the next one from its sending.

`contacts`: a member with `--contacts` contacts (each with one interaction and a ledger
tap) asks for `/contacts`: time of the domain call and rendering, SQL statements, and the
longest message in UTF-16 code units after entity parsing (Telegram allows 4,096); where
the list is paged, every page is pressed through.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["WORST_ANSWERS", "main"]

FLOODER = 1_000_001
OBSERVER = 1_000_002
# Observers take turns, so each asks about once a second, as people do: the bot keeps
# its replies to one chat to about one a second (after a short burst), as Telegram asks.
OBSERVERS = 20
TELEGRAM_LIMIT = 4096


def _fill(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length].strip()


# The worst answers to "by when?" found by measuring (see BENCHMARKS.md, "Isolation").
WORST_ANSWERS: dict[str, str] = {
    "'1. Jan ' x 585": _fill("1. Jan ", 4096),
    "'Dec 15 ' x 585": _fill("Dec 15 ", 4096),
    "'15. Dezember ' x 315": _fill("15. Dezember ", 4096),
    "'3/4 ' x 1024": _fill("3/4 ", 4096),
    "'1 a ' x 1024": _fill("1 a ", 4096),
    "'by ' x 1365": _fill("by ", 4096),
    "'bis Freitag 15 Uhr, 3/4, …' mixed": _fill(
        "bis Freitag 15 Uhr, 3/4, in 2 Wochen, 15. Dezember ", 4096
    ),
    "'1. Jan ' cut to 100": _fill("1. Jan ", 100),
    "'Dec 15 ' cut to 100": _fill("Dec 15 ", 100),
    "'1 a ' cut to 100": _fill("1 a ", 100),
    "'by ' cut to 100": _fill("by ", 100),
}
# `/commit` lines of the longest length the bot takes (300 characters).
WORST_LINES: dict[str, str] = {
    "/commit '1. Jan ' x 43": _fill("Anna anrufen 1. Jan ", 300),
    "/commit 'Dec 15 ' x 43": _fill("call Ben Dec 15 ", 300),
    "/commit '3/4 ' x 75": _fill("Anna 3/4 ", 300),
}


@asynccontextmanager
async def _runtime(directory: str) -> AsyncIterator[Any]:
    from bot.clock import SystemClock
    from bot.settings import Settings
    from bot.wiring import open_runtime

    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{directory}/isolation.db",
        max_messages_per_second=1000,
        bot_token="123:TEST",
        _env_file=None,
    )
    async with open_runtime(settings, SystemClock(), warn_without_key=False) as runtime:
        yield replace(runtime, settings=settings.model_copy(update={"tick_seconds": 3600}))


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """Run `call`; return its wall time and the event loop's longest stall, in ms."""
    stalls: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)
    started = time.perf_counter()
    result = await call()
    wall = time.perf_counter() - started
    done = True
    await task
    return 1000 * wall, 1000 * max(stalls, default=0.0), result


def _outcome(step: Any) -> str:
    if step is None:
        return "-"
    for name in ("limit", "problem", "created", "ask"):
        value = getattr(step, name, None)
        if value is not None:
            return f"{name}={getattr(value, 'limit', value)}"
    return "?"


async def _parser() -> None:
    from bot.domain import commitments
    from bot.domain.cancelling import cancel_flow
    from bot.domain.members import Identity
    from tests.support.contacts import commit_saying_yes
    from tests.support.members import add_members

    who = Identity(FLOODER, FLOODER, "de")
    with tempfile.TemporaryDirectory() as directory:
        async with _runtime(directory) as runtime:
            await add_members(runtime, [FLOODER])
            await commit_saying_yes(runtime, who, "Anna anrufen")  # asks "by when?"
            await commitments.answer_text(runtime, who, "nächsten Monat x")  # warm dateparser
            print("input | characters | wall ms (best of 3) | longest loop stall ms | answer")
            for name, text in WORST_ANSWERS.items():
                runs = [
                    await _timed(lambda text=text: commitments.answer_text(runtime, who, text))
                    for _ in range(3)
                ]
                wall = min(run[0] for run in runs)
                stall = max(run[1] for run in runs)
                print(f"{name} | {len(text)} | {wall:.1f} | {stall:.1f} | {_outcome(runs[0][2])}")
            for name, text in WORST_LINES.items():
                runs = []
                for _ in range(3):
                    # Each line starts afresh (a waiting draft would ask which one to keep).
                    await cancel_flow(runtime, who)
                    runs.append(
                        await _timed(lambda text=text: commitments.commit_line(runtime, who, text))
                    )
                wall = min(run[0] for run in runs)
                stall = max(run[1] for run in runs)
                print(f"{name} | {len(text)} | {wall:.1f} | {stall:.1f} | {_outcome(runs[0][2])}")


def _flood_simulator(conn: Connection) -> None:
    """Child process: the flooder floods while the observer keeps asking for /help."""
    from simulator import TelegramSimulator

    async def serve() -> None:
        async with TelegramSimulator(enforce_limits=False) as sim:
            flooder = sim.user("Flo", user_id=FLOODER, language_code="de")
            observers = [
                sim.user(f"Olga {n}", user_id=OBSERVER + n, language_code="en")
                for n in range(OBSERVERS)
            ]
            observer = observers[0]
            conn.send(sim.port)
            loop = asyncio.get_running_loop()
            texts: list[str] = await loop.run_in_executor(None, conn.recv)
            await flooder.send("/commit Anna anrufen")
            await flooder.next_message(timeout=30)
            await observer.send("/help")
            await observer.next_message(timeout=30)
            latencies: list[float] = []
            expected = len(flooder.messages) + len(texts)
            started = time.monotonic()
            for text in texts:
                await flooder.send(text)
            seen, quiet_since = len(flooder.messages), time.monotonic()
            # Some answers are two messages (the problem, then the question again): the
            # flood is over when all came and the flooder heard nothing for a second.
            while time.monotonic() - started < 600:
                if len(flooder.messages) != seen:
                    seen, quiet_since = len(flooder.messages), time.monotonic()
                elif seen >= expected and time.monotonic() - quiet_since > 1:
                    break
                observer = observers[len(latencies) % OBSERVERS]
                sent = time.monotonic()
                await observer.send("/help")
                with contextlib.suppress(TimeoutError):
                    await observer.next_message(timeout=30)
                latencies.append(time.monotonic() - sent)
                await asyncio.sleep(0.05)
            conn.send(
                {
                    "latencies": latencies,
                    "seconds": time.monotonic() - started,
                    "messages": len(flooder.messages) - expected + len(texts),
                }
            )
            await loop.run_in_executor(None, conn.recv)  # serve until the bot has stopped

    asyncio.run(serve())


async def _flood(rounds: int) -> None:
    from bot.domain.places import prepare_places
    from bot.runner import running_bot
    from tests.support.members import add_members

    # The city index the bot builds on disk at start is not what is measured here.
    await asyncio.to_thread(prepare_places)
    texts = [text for _ in range(rounds) for text in WORST_ANSWERS.values()]
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_flood_simulator, args=(child,), daemon=True
    )
    process.start()
    base_url = f"http://127.0.0.1:{parent.recv()}/bot"
    with tempfile.TemporaryDirectory() as directory:
        async with _runtime(directory) as runtime:
            await add_members(runtime, [FLOODER])
            await add_members(runtime, [OBSERVER + n for n in range(OBSERVERS)], language="en")
            async with running_bot(runtime, token="123:TEST", base_url=base_url, poll_timeout=1):
                await asyncio.sleep(1)
                parent.send(texts)
                loop = asyncio.get_running_loop()
                result: dict[str, Any] = await loop.run_in_executor(None, parent.recv)
    parent.send(None)
    process.join(5)
    latencies = sorted(1000 * value for value in result["latencies"])
    print(
        f"flood: {len(texts)} answers, {result['messages']} messages back "
        f"in {result['seconds']:.1f} s; "
        f"/help during it: {len(latencies)} asked, "
        f"p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.0f} ms, "
        f"max {latencies[-1]:.0f} ms, over 500 ms: {sum(1 for v in latencies if v > 500)}"
    )


def _visible_length(html: str) -> int:
    from simulator.entities import parse_formatted, utf16_len

    text, _ = parse_formatted(html, "HTML", None)
    return utf16_len(text)


async def _contacts(count: int) -> None:
    from sqlalchemy import event

    from bot.domain import contacts
    from bot.domain.members import Identity
    from bot.screens import contacts as contact_screens
    from storage.crypto import blind_index
    from storage.models import Contact, Exchange, Interaction
    from storage.users import get_user_by_telegram_id
    from tests.support.members import add_members

    who = Identity(FLOODER, FLOODER, "de")
    with tempfile.TemporaryDirectory() as directory:
        async with _runtime(directory) as runtime:
            await add_members(runtime, [FLOODER])
            now = runtime.clock.now()
            async with runtime.sessions.begin() as session:
                user = await get_user_by_telegram_id(session, FLOODER)
                assert user is not None
                for number in range(count):
                    name = f"Kontakt Nummer {number:04d}"
                    contact = Contact(
                        user_id=user.id,
                        name=name,
                        name_key=blind_index(name, user.id),
                        checkin_pings=0,
                        created_at=now,
                        last_interaction_at=now - timedelta(minutes=number),
                        cadence_days=28,
                    )
                    session.add(contact)
                    await session.flush()
                    session.add(
                        Interaction(
                            user_id=user.id,
                            contact_id=contact.id,
                            exchange=Exchange.GAVE,
                            created_at=now - timedelta(minutes=number),
                        )
                    )
            statements = 0

            def count_statement(*_args: Any) -> None:
                nonlocal statements
                statements += 1

            engine = runtime.sessions.kw["bind"]
            event.listen(engine.sync_engine, "before_cursor_execute", count_statement)
            paged = "page" in inspect.signature(contacts.list_contacts).parameters
            pages = []
            page_number = 0
            while True:
                statements = 0
                started = time.perf_counter()
                if paged:
                    listing: Any = await contacts.list_contacts(runtime, who, page=page_number)
                else:
                    listing = await contacts.list_contacts(runtime, who)
                assert listing is not None
                screen = contact_screens.contacts_screen(listing)
                elapsed = 1000 * (time.perf_counter() - started)
                pages.append((elapsed, statements, _visible_length(screen.text)))
                page_number += 1
                if not paged or not getattr(listing, "has_next", False):
                    break
            first = pages[0]
            print(
                f"/contacts with {count} contacts: first page {first[0]:.1f} ms, "
                f"{first[1]} SQL statements, {first[2]} UTF-16 units "
                f"({'fits' if first[2] <= TELEGRAM_LIMIT else 'over Telegram’s 4,096'})"
            )
            if len(pages) > 1:
                median = statistics.median(p[0] for p in pages)
                print(
                    f"pressed through {len(pages)} pages: median {median:.1f} ms, "
                    f"max {max(p[0] for p in pages):.1f} ms per page; statements per page "
                    f"{min(p[1] for p in pages)}-{max(p[1] for p in pages)}; longest page "
                    f"{max(p[2] for p in pages)} UTF-16 units"
                )


def main(argv: list[str] | None = None) -> int:
    """Run one of the three measurements and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("parser", "flood", "contacts"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--contacts", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.what == "parser":
        asyncio.run(_parser())
    elif args.what == "flood":
        asyncio.run(_flood(args.rounds))
    else:
        asyncio.run(_contacts(args.contacts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
