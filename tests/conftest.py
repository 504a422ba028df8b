"""Shared fixtures: databases on SQLite and PostgreSQL, a frozen clock, a runtime."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from bot.settings import Settings
from bot.wiring import runtime_on
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.engine import create_engine
from storage.migrate import upgrade_database
from tests.support.conformance import assert_requests_conform
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_url,
    truncate_all,
)
from tests.support.harness import UNPACED_CHAT_RATE, bot_against

# `-n auto` (what `make test` runs): workers per core. Most tests wait on loopback HTTP,
# timers and child processes, not on the CPU (measured in BENCHMARKS.md, "Test suite").
WORKERS_PER_CORE = 2


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` starts `WORKERS_PER_CORE` workers per core (xdist's variable still rules)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return WORKERS_PER_CORE * (cores or 1)


# Thursday 26 November 2026, 08:00 UTC: a fixed "now" for stories that need one.
STORY_NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ShiftableClock:
    """A clock frozen at a known moment; tests move it with `advance`."""
    return ShiftableClock(frozen_at=STORY_NOW)


# Database fixtures are synchronous on purpose: each runs its async set-up in a loop of
# its own, so they can be shared across tests whatever loop a test runs in.


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole run (tables emptied per test)."""
    server = postgres_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NETCOACH_TEST_POSTGRES_URL (set by .ci/run)")
    url = asyncio.run(create_postgres_database(server))
    yield url
    asyncio.run(drop_postgres_database(server, url))


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the newest revision, for the run (tests get copies)."""
    path = tmp_path_factory.mktemp("migrated") / "netcoach.db"
    asyncio.run(upgrade_database(f"sqlite+aiosqlite:///{path}"))
    # Every connection is closed: nothing of the database is left in a -wal file.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the emptied PostgreSQL test database.

    The new SQLite file is a copy of one migrated once per run (the migrations' own tests
    run them on files of their own).
    """
    if request.param == "sqlite":
        path = tmp_path / "netcoach.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(truncate_all(url))
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for tests: the test database, no token, German default."""
    return Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def runtime(settings: Settings, clock: ShiftableClock) -> AsyncIterator[Runtime]:
    """A runtime on the test database with the frozen clock, built as `netcoach run` builds it."""
    engine = create_engine(settings.database_url)
    yield runtime_on(engine, settings, clock)
    await engine.dispose()


@pytest.fixture(autouse=True)
def _no_netcoach_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never pick up an operator's NETCOACH_* variables (except the test database)."""
    for name in list(os.environ):
        if name.startswith("NETCOACH_") and not name.startswith("NETCOACH_TEST_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[TelegramSimulator]:
    """A simulator enforcing Telegram's limits; every request it saw must match the official API.

    Telegram's pace in one chat (about a message a second, after a short burst) holds in
    tests marked `telegram_pace` only: elsewhere it is not the story, and a bot keeping it
    (`bot_against` keeps the simulator's) only makes a long conversation wait.
    """
    paced = request.node.get_closest_marker("telegram_pace") is not None
    async with TelegramSimulator(per_chat_rate=1.0 if paced else UNPACED_CHAT_RATE) as simulator:
        yield simulator
    assert_requests_conform(simulator)


@pytest.fixture
async def bot(sim: TelegramSimulator, runtime: Runtime) -> AsyncIterator[NetcoachApplication]:
    """netcoach running against the simulator."""
    async with bot_against(sim, runtime) as application:
        yield application
