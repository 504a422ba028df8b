"""A start-up on an up-to-date database skips Alembic; any other database still migrates."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.wiring import open_runtime
from storage.engine import create_engine
from storage.migrate import alembic_config, upgrade_database
from storage.schema_version import head_revision, is_at_head


def test_the_newest_revision_read_from_the_files_is_alembics_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()

    assert [head_revision()] == heads


def test_two_heads_or_a_merge_are_left_to_alembic(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision = "b"\ndown_revision = "a"\n')
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = "a"\n')
    assert head_revision(tmp_path) is None

    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    assert head_revision(tmp_path) is None


async def test_only_a_database_at_the_newest_revision_counts_as_current(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    engine = create_engine(url)
    try:
        assert not await is_at_head(engine)  # a new, empty file

        await upgrade_database(url, "0004")
        assert not await is_at_head(engine)

        await upgrade_database(url)
        assert await is_at_head(engine)
    finally:
        await engine.dispose()


async def test_starting_on_an_old_database_still_migrates_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    await upgrade_database(url, "0003")
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]

    async with open_runtime(settings, warn_without_key=False) as runtime:
        version = await _version(runtime.sessions)

    assert version == head_revision()


def test_starting_on_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    asyncio.run(upgrade_database(url))
    probe = "\n".join(
        [
            "import asyncio, sys",
            "from bot.settings import Settings",
            "from bot.wiring import open_runtime",
            "async def start():",
            f"    settings = Settings(database_url={url!r}, _env_file=None)",
            "    async with open_runtime(settings, warn_without_key=False):",
            "        pass",
            "asyncio.run(start())",
            "print('alembic' in sys.modules)",
        ]
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )

    assert done.stdout.strip() == "False"


async def _version(sessions: async_sessionmaker[AsyncSession]) -> str | None:
    async with sessions() as session:
        version: str | None = await session.scalar(text("SELECT version_num FROM alembic_version"))
        return version
