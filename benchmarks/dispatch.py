"""Benchmark: 10,000 members due in the same minute, sent under the simulator's ceiling.

    .venv/bin/python -m benchmarks.dispatch [--members 10000] [--rate 30] [--database sqlite|URL]
                                            [--history]

The simulator runs in a child process (so its CPU is not the bot's); the bot is the real
dispatcher (`netcoach run --dispatch-only` assembly) in this process. Prints the achieved
rate as a share of the ceiling, 429s, and the bot's CPU milliseconds per delivered prompt.

With `--history` every member has nine weeks behind them (each card shown once, notes on
them, open commitments, contacts overdue for a check-in), so each prompt's card has a
review to build, a note to recall or commitments to list, as in a member's third month.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["main"]


def _simulator(rate: float, conn: Connection) -> None:
    """Child process: serve the simulator, report its port, and its stats when asked."""
    from simulator import RecordedRequest, TelegramSimulator

    # CLOCK_MONOTONIC is one clock for every process on the machine: the parent's kick
    # and these send times can be compared.
    sends: list[float] = []

    def on_request(request: RecordedRequest) -> None:
        if request.method == "sendMessage" and request.ok:
            if sends:
                sends[1:] = [time.monotonic()]
            else:
                sends.append(time.monotonic())

    async def serve() -> None:
        async with TelegramSimulator(global_rate=rate, record_requests=False) as sim:
            sim.on_request(on_request)
            conn.send(sim.port)
            count = conn.recv()
            for n in range(count):
                sim.user(f"M{n}", user_id=1_000_000 + n)
            conn.send("ready")
            loop = asyncio.get_running_loop()
            while not await loop.run_in_executor(None, conn.poll, 0.2):
                pass
            conn.recv()
            stats = sim.stats
            conn.send(
                {
                    "sent": stats.sent_messages,
                    "429": stats.too_many_requests,
                    "max_per_second": stats.max_per_second,
                    "first_send": sends[0] if sends else float("nan"),
                    "last_send": sends[-1] if sends else float("nan"),
                }
            )

    asyncio.run(serve())


async def _add_history(runtime: Any, telegram_ids: list[int], now: datetime) -> None:
    """Nine weeks behind every member (see the module's docstring), in one transaction.

    Odd members wrote nothing on reliability and contact care, so reliability comes next
    and lists their open commitments; even members get the intro again, recalling the
    note they wrote on it nine weeks ago.
    """
    from sqlalchemy import select

    from storage.crypto import blind_index
    from storage.models import (
        Commitment,
        CommitmentStatus,
        Contact,
        Delivery,
        DeliveryKind,
        DeliveryStatus,
        Reflection,
        User,
    )

    week = timedelta(weeks=1)
    silent = {"principle-reliability", "rule-contact-care"}
    async with runtime.sessions.begin() as session:
        users = await session.execute(select(User).where(User.telegram_id.in_(telegram_ids)))
        for number, user in enumerate(users.scalars()):
            for back, card in zip(range(9, 0, -1), runtime.curriculum, strict=True):
                shown = now - back * week
                session.add(
                    Delivery(
                        user_id=user.id,
                        kind=DeliveryKind.PROMPT,
                        slot_at=shown,
                        status=DeliveryStatus.SENT,
                        due_at=shown,
                        card_key=card.key,
                        question_index=0,
                        sent_at=shown,
                        created_at=shown,
                    )
                )
                if not (number % 2 and card.key in silent):
                    text = f"Gedanken zu {card.key}: was ich mir vornehme, und mit wem. " * 3
                    session.add(
                        Reflection(user_id=user.id, card_key=card.key, text=text, created_at=shown)
                    )
            contacts = []
            for name in ("Anna", "Ben", "Cem"):
                contact = Contact(
                    user_id=user.id,
                    name=name,
                    name_key=blind_index(name.lower(), user.id),
                    cadence_days=14,
                    last_interaction_at=now - 4 * week,
                    checkin_pings=0,
                    created_at=now - 9 * week,
                )
                contacts.append(contact)
                session.add(contact)
            await session.flush()
            for days, contact in zip((-1, 2, 5, 9), (*contacts, None), strict=True):
                session.add(
                    Commitment(
                        user_id=user.id,
                        contact_id=contact.id if contact is not None else None,
                        action=f"Vorhaben in {days} Tagen",
                        status=CommitmentStatus.OPEN,
                        due_at=now + timedelta(days=days),
                        pings=0,
                        renegotiations=0,
                        created_at=now - 2 * week,
                    )
                )


async def _run(members: int, rate: float, database: str, history: bool) -> dict[str, Any]:
    from bot.clock import SystemClock
    from bot.runner import running_bot
    from bot.settings import Settings
    from bot.wiring import open_runtime
    from tests.support.databases import create_postgres_database, drop_postgres_database
    from tests.support.members import add_members

    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_simulator, args=(rate, child), daemon=True
    )
    process.start()
    port = parent.recv()
    parent.send(members)
    parent.recv()
    created: str | None = None
    with tempfile.TemporaryDirectory() as directory:
        if database == "sqlite":
            url = f"sqlite+aiosqlite:///{directory}/bench.db"
        else:
            url = created = await create_postgres_database(database)
        settings = Settings(  # type: ignore[call-arg]
            database_url=url, max_messages_per_second=rate, bot_token="123:TEST", _env_file=None
        )
        try:
            async with open_runtime(settings, SystemClock()) as runtime:
                ids = [1_000_000 + n for n in range(members)]
                await add_members(runtime, ids, next_prompt_at=datetime.now(UTC))
                if history:
                    await _add_history(runtime, ids, datetime.now(UTC))
                quiet = replace(
                    runtime, settings=settings.model_copy(update={"tick_seconds": 3600})
                )
                base_url = f"http://127.0.0.1:{port}/bot"
                async with running_bot(
                    quiet, token="123:TEST", base_url=base_url, mode="dispatch"
                ) as app:
                    dispatcher = app.bot_data.dispatcher
                    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
                    started = kicked = time.monotonic()
                    dispatcher.kick()
                    await dispatcher.idle()
                    idle_at = time.monotonic()
                    elapsed = idle_at - started
                    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        finally:
            if created is not None:
                await drop_postgres_database(database, created)
    parent.send("stats")
    stats = parent.recv()
    process.join(5)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    achieved = stats["sent"] / elapsed
    sending = stats["last_send"] - stats["first_send"]
    return {
        "members": members,
        "history": "nine weeks each" if history else "none",
        "ceiling": rate,
        "database": "sqlite" if database == "sqlite" else "postgresql",
        "delivered": stats["sent"],
        "seconds": round(elapsed, 1),
        "kick_to_first_send_s": round(stats["first_send"] - kicked, 2),
        "last_send_to_idle_s": round(idle_at - stats["last_send"], 2),
        "rate_while_sending": round((stats["sent"] - 1) / sending, 1) if sending > 0 else None,
        "achieved_per_second": round(achieved, 1),
        "share_of_ceiling": f"{100 * achieved / rate:.1f} %",
        "429s": stats["429"],
        "peak_per_second": stats["max_per_second"],
        "cpu_ms_per_prompt": round(1000 * cpu / max(1, stats["sent"]), 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one dispatch benchmark and print its figures and the command that reproduces it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite, or a PostgreSQL server URL (a scratch database is created and dropped)",
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="give every member nine weeks of cards, notes, commitments and contacts",
    )
    args = parser.parse_args(argv)
    if args.database == "postgres":
        args.database = os.environ.get("NETCOACH_TEST_POSTGRES_URL", "")
        if not args.database:
            parser.error("--database postgres needs NETCOACH_TEST_POSTGRES_URL")
    result = asyncio.run(_run(args.members, args.rate, args.database, args.history))
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print("reproduce:", " ".join([".venv/bin/python -m benchmarks.dispatch", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
