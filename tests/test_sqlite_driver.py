"""SQLite through aiosqlite with one thread hop per statement, and reads that skip the write lock.

Every hop to aiosqlite's thread costs more than a short query itself, so the number of
hops is what these tests count; the results must be exactly what sqlite3 gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import create_engine, create_session_factory, reading
from storage.migrate import upgrade_database
from storage.models import User
from storage.sqlite_driver import OneHopConnection


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions sent to a connection's thread, in order."""
    seen: list[str] = []
    original = OneHopConnection._execute

    async def counting(self: OneHopConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneHopConnection, "_execute", counting)
    return seen


async def test_a_short_transaction_costs_three_hops(engine: AsyncEngine, hops: list[str]) -> None:
    """BEGIN, statement, COMMIT: formerly nine hops (four per statement, and a rollback)."""
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:  # warm the pool: connecting has hops of its own
        await session.execute(select(User.id))
    hops.clear()

    async with sessions.begin() as session:
        await session.execute(select(User).where(User.telegram_id == 1))
    # BEGIN IMMEDIATE, the select (prepared, run, fetched and closed at once), the commit;
    # nothing when the connection goes back to the pool (no transaction is open then).
    assert hops == ["_run", "_run", "commit"]


async def test_a_single_read_costs_one_hop(engine: AsyncEngine, hops: list[str]) -> None:
    sessions = create_session_factory(engine)
    async with reading(sessions) as connection:
        await connection.execute(select(User.id))
    hops.clear()
    async with reading(sessions) as connection:
        await connection.execute(select(User).where(User.telegram_id == 1))
    assert hops == ["_run"]


async def test_rows_counts_and_ids_are_what_sqlite_gives(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        inserted = await connection.execute(text("INSERT INTO notes (body) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await connection.execute(
            text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "b"}, {"body": "c"}]
        )
        changed = await connection.execute(text("UPDATE notes SET body = 'x' WHERE id > 1"))
        assert changed.rowcount == 2
        result = await connection.execute(text("SELECT id, body FROM notes ORDER BY id"))
        assert result.fetchone() == (1, "a")
        assert result.fetchmany(1) == [(2, "x")]
        assert result.fetchall() == [(3, "x")]
        assert result.fetchone() is None


async def test_a_failed_statement_raises_and_the_session_recovers(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    with pytest.raises(Exception, match="no such table"):
        async with sessions.begin() as session:
            await session.execute(text("SELECT * FROM nowhere"))
    async with sessions.begin() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_reading_goes_on_while_a_writer_holds_the_lock(engine: AsyncEngine) -> None:
    """A member's /help is answered while, say, the dispatcher is in a write transaction."""
    sessions: async_sessionmaker[AsyncSession] = create_session_factory(engine)
    writer_inside = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with sessions.begin() as session:
            await session.execute(text("UPDATE users SET language = language"))
            writer_inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await writer_inside.wait()
    async with reading(sessions) as session:
        # Would wait for the writer (up to the busy timeout) if it began IMMEDIATE.
        count = await asyncio.wait_for(session.scalar(select(User.id).limit(1)), timeout=2.0)
    assert count is None
    release.set()
    await task
