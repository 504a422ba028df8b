"""Benchmark: what binding every text to its row costs, and how fast `keys rotate` goes.

    .venv/bin/python -m benchmarks.sealing [--rows 20000] [--database sqlite postgres]

For each database: ROWS reflections are written through the ORM in transactions of 100,
and 1,000 more one per transaction (as members write them: an INSERT, and with a key the
UPDATE that seals the text to its row id), then all are read back in pages of 100 (the
journal's query), without a key and with one; wall time per row is printed. Then every
row is re-encrypted to a new key with `storage.keyring.rotate_keys` (batches of 500) and
rows per second are printed; last, the
start-up check of a key against the stored texts (`bot.wiring.check_key_ring`) is timed,
which samples a fixed number of rows whatever the size. `postgres` means the server in
`NETCOACH_TEST_POSTGRES_URL`; a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

__all__ = ["main"]

BATCH = 100
SINGLE_ROWS = 1000


async def _write(sessions: Any, owner: int, rows: int, per_transaction: int) -> int:
    """Write `rows` reflections through the ORM; microseconds per row."""
    from storage.models import Reflection

    now = datetime.now(UTC)
    started = time.perf_counter()
    for first in range(0, rows, per_transaction):
        async with sessions.begin() as session:
            session.add_all(
                Reflection(
                    user_id=owner,
                    card_key="intro",
                    text=f"Notiz {n} über ein Gespräch mit Anna",
                    created_at=now,
                )
                for n in range(first, min(rows, first + per_transaction))
            )
    return round(1e6 * (time.perf_counter() - started) / rows)


async def _read(sessions: Any, owner: int) -> int:
    """Read the member's reflections a page at a time (by id); microseconds per row."""
    from storage.models import Reflection

    started = time.perf_counter()
    last, count = 0, 0
    while True:
        async with sessions() as session:
            query = (
                select(Reflection)
                .where(Reflection.user_id == owner, Reflection.id > last)
                .order_by(Reflection.id)
                .limit(BATCH)
            )
            page = list((await session.execute(query)).scalars())
        if not page:
            return round(1e6 * (time.perf_counter() - started) / count)
        assert all(row.text.startswith("Notiz") for row in page)
        last, count = page[-1].id, count + len(page)


async def _measure(url: str, rows: int) -> dict[str, Any]:
    from bot.wiring import check_key_ring
    from storage.crypto import FieldCipher, generate_key, using_cipher
    from storage.engine import create_engine, create_session_factory
    from storage.keyring import rotate_keys
    from storage.migrate import upgrade_database
    from storage.models import User

    await upgrade_database(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    figures: dict[str, Any] = {}
    try:
        async with sessions.begin() as session:
            members = [
                User(telegram_id=n, chat_id=n, language="de", created_at=now, updated_at=now)
                for n in (1, 2)
            ]
            session.add_all(members)
            await session.flush()
            plain_owner, sealed_owner = (member.id for member in members)
        old, new = generate_key(), generate_key()
        for label, cipher, owner in (
            ("plain", None, plain_owner),
            ("sealed", FieldCipher(old), sealed_owner),
        ):
            with using_cipher(cipher):
                figures[f"write µs/row, {BATCH} a transaction ({label})"] = await _write(
                    sessions, owner, rows, BATCH
                )
                figures[f"write µs/row, 1 a transaction ({label})"] = await _write(
                    sessions, owner, SINGLE_ROWS, 1
                )
                figures[f"read µs/row ({label})"] = await _read(sessions, owner)
        ring = FieldCipher(new, old)
        started = time.perf_counter()
        result = await rotate_keys(sessions, ring=ring, batch_size=500)
        took = time.perf_counter() - started
        assert result.changed == 2 * (rows + SINGLE_ROWS) and not result.unreadable
        figures["rotate rows/s"] = round(result.changed / took)
        with using_cipher(ring):
            started = time.perf_counter()
            await check_key_ring(sessions)
            figures["start-up key check ms"] = round(1000 * (time.perf_counter() - started), 1)
    finally:
        await engine.dispose()
    return figures


async def _one(database: str, rows: int) -> dict[str, Any]:
    from tests.support.databases import create_postgres_database, drop_postgres_database

    with tempfile.TemporaryDirectory() as directory:
        if database == "sqlite":
            return await _measure(f"sqlite+aiosqlite:///{directory}/sealing.db", rows)
        server = os.environ.get("NETCOACH_TEST_POSTGRES_URL")
        if not server:
            sys.exit("postgres needs NETCOACH_TEST_POSTGRES_URL")
        url = await create_postgres_database(server)
        try:
            return await _measure(url, rows)
        finally:
            await drop_postgres_database(server, url)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark for each database asked for and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    args = parser.parse_args(argv)
    for database in args.database:
        figures = asyncio.run(_one(database, args.rows))
        shown = ", ".join(f"{name} {value}" for name, value in figures.items())
        print(f"{database} ({args.rows} rows each): {shown}", flush=True)


if __name__ == "__main__":
    main()
