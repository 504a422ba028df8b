"""Benchmark: CPU per reflection kept and answered, in-process (no Telegram, no HTTP).

    .venv/bin/python -m benchmarks.reflections [--reflections 600] [--contacts 200]
        [--database sqlite postgres] [--steps]

One member with CONTACTS contacts (names encrypted, a key set) replies to this week's
prompt REFLECTIONS times; each reply is kept (`reflections.save_reflection`, a reply to
the prompt as Telegram sends it) and its answer rendered (`reflection_saved`), as
`handlers.fallback.text_message` does. The texts take turns: a short line, a line naming a
known contact, a line naming someone unknown, and a long paragraph (about 60 words naming
a contact near its end); the contacts are "Tom Becker", "Anna Becker", and so on. CPU
time of this process per reflection is printed (median and least of five rounds, after
one that warms up); the database is on the same machine, so on PostgreSQL the server's share is
not counted. Runs the same in a checkout without
answers, for the "before" column: only functions that exist there are called.

`--steps` (this tree only) also times the step that changed both ways in turns, in the
same process and database, which a busy machine disturbs far less than two runs: kept as
before (the insert, the count, one catalog line) and kept and answered
(`keep_and_answer` and `answer_screen`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

__all__ = ["main"]

# Rounds measured after the warm-up; the least is the figure least disturbed by whatever
# else the machine runs, the median the usual one.
ROUNDS = 5

# Contacts are named "<first name> <surname>"; the texts name two of them and one stranger.
_FIRST = ("Tom", "Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida")
_LAST = ("Becker", "Schmidt", "Weber", "Wagner", "Koch", "Richter", "Klein", "Wolf")
_LAST += ("Braun", "Krause", "Lange", "Frank", "Berger", "Fuchs", "Vogel", "Roth")
_LAST += ("Winter", "Sommer", "Keller", "Jung")
TEXTS = (
    "ok",
    "Von Tom Becker habe ich lange nichts gehört, ich sollte mich mal melden.",
    "Heute habe ich mit Lisa über das Projekt gesprochen, das war gut.",
    (
        "Diese Woche war voll, aber ich habe mir trotzdem Zeit genommen. Beim Treffen im "
        "Verein habe ich gemerkt, wie viel es bringt, wenn man zuerst etwas gibt, ohne "
        "gleich etwas zurück zu erwarten. Ich will das öfter tun und mir dafür feste "
        "Zeiten einplanen, zum Beispiel am Freitagnachmittag, wenn ohnehin weniger los "
        "ist. Am Ende hat mich noch Ida Jung angesprochen, ob wir uns bald treffen."
    ),
)


async def _steps(runtime: Any, reflections: int) -> dict[str, float]:
    """The step that changed, both ways in turns in this process: kept as before (insert,
    count, one catalog line) and kept and answered (one read, insert, the answer)."""
    from bot.domain.members import Identity, member_from_row
    from bot.domain.reflection_answers import keep_and_answer
    from bot.screens.reflection_answers import answer_screen
    from content.i18n import catalog
    from storage.reflections import add_reflection, count_reflections
    from storage.users import get_user_by_telegram_id

    who = Identity(telegram_id=1, chat_id=1)
    card = runtime.curriculum.by_key("principle-trust")

    async def as_before(text: str) -> None:
        async with runtime.sessions.begin() as session:
            user = await get_user_by_telegram_id(session, 1)
            await add_reflection(
                session,
                user_id=user.id,
                delivery_id=None,
                card_key=card.key,
                question_index=None,
                text=text,
                now=runtime.clock.now(),
            )
            total = await count_reflections(session, user.id)
            catalog(user.language).plural("reflection.receipt.0", total)

    async def answered(text: str) -> None:
        async with runtime.sessions.begin() as session:
            user = await get_user_by_telegram_id(session, 1)
            answer = await keep_and_answer(
                session,
                user,
                who,
                card,
                text,
                now=runtime.clock.now(),
                delivery_id=None,
                question_index=None,
                message_id=None,
            )
            answer_screen(member_from_row(user), answer)

    rounds: dict[str, list[float]] = {"as before": [], "answered": []}
    for round_number in range(ROUNDS + 1):
        for label, step in (("as before", as_before), ("answered", answered)):
            started = time.process_time()
            for n in range(reflections):
                await step(TEXTS[n % len(TEXTS)])
            if round_number:  # the first round of each warms up
                rounds[label].append(1000 * (time.process_time() - started) / reflections)
    figures = {f"step {label}, median": statistics.median(r) for label, r in rounds.items()}
    figures |= {f"step {label}, least": min(r) for label, r in rounds.items()}
    return {label: round(value, 3) for label, value in figures.items()}


async def _measure(url: str, reflections: int, contacts: int, steps: bool) -> dict[str, float]:
    from bot.clock import SystemClock
    from bot.domain import reflections as domain
    from bot.domain.members import Identity
    from bot.screens.reflection import reflection_saved
    from bot.settings import Settings
    from bot.wiring import runtime_on
    from storage.crypto import FieldCipher, blind_index, generate_key, using_cipher
    from storage.engine import create_engine
    from storage.migrate import upgrade_database
    from storage.models import (
        Contact,
        Delivery,
        DeliveryKind,
        DeliveryStatus,
        User,
        UserStatus,
    )

    await upgrade_database(url)
    engine = create_engine(url)
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    runtime = runtime_on(engine, settings, SystemClock())
    now = datetime.now(UTC)
    prompt_message = 10
    figures: dict[str, float] = {}
    try:
        with using_cipher(FieldCipher(generate_key())):
            async with runtime.sessions.begin() as session:
                user = User(
                    telegram_id=1,
                    chat_id=1,
                    language="de",
                    timezone="Europe/Berlin",
                    slot_weekday=3,
                    slot_minute=540,
                    status=UserStatus.ACTIVE,
                    onboarded_at=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(user)
                await session.flush()
                names = [f"{first} {last}" for last in _LAST for first in _FIRST][:contacts]
                session.add_all(
                    Contact(
                        user_id=user.id,
                        name=name,
                        name_key=blind_index(name, user.id),
                        checkin_pings=0,
                        created_at=now,
                    )
                    for name in names
                )
                session.add(
                    Delivery(
                        user_id=user.id,
                        kind=DeliveryKind.PROMPT,
                        slot_at=now,
                        status=DeliveryStatus.SENT,
                        due_at=now,
                        card_key="principle-trust",
                        question_index=0,
                        telegram_message_id=prompt_message,
                        sent_at=now,
                        created_at=now,
                    )
                )
            who = Identity(telegram_id=1, chat_id=1)
            rounds = []
            message = 100
            for _ in range(ROUNDS + 1):  # the first round warms up
                started = time.process_time()
                for n in range(reflections):
                    message += 1
                    saved = await domain.save_reflection(
                        runtime,
                        who,
                        TEXTS[n % len(TEXTS)],
                        reply_to_message_id=prompt_message,
                        message_id=message,
                    )
                    assert saved is not None
                    reflection_saved(saved)
                rounds.append(1000 * (time.process_time() - started) / reflections)
            figures["median CPU ms per reflection"] = round(statistics.median(rounds[1:]), 3)
            figures["least"] = round(min(rounds[1:]), 3)
            figures["rounds"] = [round(r, 3) for r in rounds[1:]]  # type: ignore[assignment]
            if steps:
                figures |= await _steps(runtime, reflections)
    finally:
        await engine.dispose()
    return figures


async def _one(database: str, reflections: int, contacts: int, steps: bool) -> dict[str, Any]:
    from tests.support.databases import create_postgres_database, drop_postgres_database

    with tempfile.TemporaryDirectory() as directory:
        if database == "sqlite":
            url = f"sqlite+aiosqlite:///{directory}/reflections.db"
            return await _measure(url, reflections, contacts, steps)
        server = os.environ.get("NETCOACH_TEST_POSTGRES_URL")
        if not server:
            sys.exit("postgres needs NETCOACH_TEST_POSTGRES_URL")
        url = await create_postgres_database(server)
        try:
            return await _measure(url, reflections, contacts, steps)
        finally:
            await drop_postgres_database(server, url)


def main(argv: list[str] | None = None) -> None:
    """Print CPU per reflection for each database asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reflections", type=int, default=600)
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--database", nargs="+", default=["sqlite"])
    parser.add_argument(
        "--steps", action="store_true", help="also the changed step both ways, in turns"
    )
    args = parser.parse_args(argv)
    for database in args.database:
        figures = asyncio.run(_one(database, args.reflections, args.contacts, args.steps))
        print(database, figures, flush=True)


if __name__ == "__main__":
    main()
