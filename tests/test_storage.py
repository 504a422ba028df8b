"""The database keeps what members set, with aware UTC times, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from bot.domain.runtime import Runtime
from storage.engine import create_engine
from storage.users import create_user, get_user_by_telegram_id


async def test_times_come_back_aware_and_in_utc(runtime: Runtime) -> None:
    berlin_evening = datetime(2026, 3, 29, 20, 30, tzinfo=timezone(timedelta(hours=2)))
    async with runtime.sessions.begin() as session:
        user = await create_user(
            session, telegram_id=5, chat_id=5, language="de", now=berlin_evening
        )
        user.next_prompt_at = berlin_evening
    async with runtime.sessions() as session:
        stored = await get_user_by_telegram_id(session, 5)
    assert stored is not None
    assert stored.next_prompt_at == datetime(2026, 3, 29, 18, 30, tzinfo=UTC)
    assert stored.next_prompt_at.tzinfo is not None
    assert stored.next_prompt_at.utcoffset() == timedelta(0)


async def test_a_naive_time_is_refused_rather_than_guessed(runtime: Runtime) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with runtime.sessions.begin() as session:
            await create_user(
                session, telegram_id=6, chat_id=6, language="de", now=datetime(2026, 1, 1)
            )


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}")
    try:
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
    finally:
        await engine.dispose()
    assert (journal, busy, foreign_keys) == ("wal", 10_000, 1)
