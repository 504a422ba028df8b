"""Several netcoach processes start at once on a fresh database: one migrates, all go on."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import create_engine
from tests.support.databases import postgres_url

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = 3


async def _upgrade_at_once(url: str) -> list[tuple[int, str]]:
    """Start PROCESSES upgrades of `url` at one moment; (exit code, stderr) of each."""
    start_at = time.time() + 3.0  # time enough for every interpreter to start
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.migrating",
            url,
            str(start_at),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    outcomes = []
    for process in processes:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
        assert process.returncode is not None
        outcomes.append((process.returncode, stderr.decode()))
    return outcomes


async def _version(url: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return str(
                (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar_one()
            )
    finally:
        await engine.dispose()


def _assert_one_migrated_and_all_went_on(outcomes: list[tuple[int, str]]) -> None:
    failed = [stderr.strip().splitlines()[-2:-1] for code, stderr in outcomes if code != 0]
    assert not failed, f"{len(failed)} of {PROCESSES} upgrades failed: {failed}"
    migrated = [stderr.count("Running upgrade") for _, stderr in outcomes]
    assert sorted(migrated)[:-1] == [0] * (PROCESSES - 1), f"upgrades run per process: {migrated}"
    assert max(migrated) >= 1


@pytest.fixture
async def fresh_postgres_database() -> AsyncIterator[str]:
    """An empty PostgreSQL database of this test's own (not migrated)."""
    server = postgres_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NETCOACH_TEST_POSTGRES_URL (set by .ci/run)")
    name = f"netcoach_race_{uuid.uuid4().hex[:12]}"
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_three_processes_starting_on_a_fresh_postgresql_database_all_come_up(
    fresh_postgres_database: str,
) -> None:
    outcomes = await _upgrade_at_once(fresh_postgres_database)
    _assert_one_migrated_and_all_went_on(outcomes)
    assert await _version(fresh_postgres_database)


async def test_three_processes_starting_on_a_fresh_sqlite_file_all_come_up(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    outcomes = await _upgrade_at_once(url)
    _assert_one_migrated_and_all_went_on(outcomes)
    assert await _version(url)
