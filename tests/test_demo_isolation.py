"""The demo never touches real members: it runs on a database of its own, or not at all.

Each story starts from an operator's database with members whose weekly prompt is due.
Were the demo's dispatcher to see them, it would send them to the simulator, which
answers "chat not found", and they would be marked as having blocked the bot.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

from bot.clock import SystemClock
from storage.engine import create_engine
from storage.migrate import upgrade_database
from storage.models import User, UserStatus

MEMBERS = 3
REPOSITORY = Path(__file__).resolve().parents[1]


async def _database_with_due_members(path: Path) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database(url)
    now = SystemClock().now()
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for number in range(MEMBERS):
                await connection.execute(
                    User.__table__.insert().values(
                        telegram_id=9000 + number,
                        chat_id=9000 + number,
                        language="de",
                        timezone="Europe/Berlin",
                        slot_weekday=0,
                        slot_minute=9 * 60,
                        next_prompt_at=now - timedelta(minutes=5),
                        status=UserStatus.ACTIVE,
                        onboarded_at=now - timedelta(days=30),
                        review_placement="inline",
                        created_at=now - timedelta(days=30),
                        updated_at=now - timedelta(days=30),
                    )
                )
    finally:
        await engine.dispose()


def _dump(path: Path) -> list[str]:
    """Every row and schema line of the database, as SQL."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def _environment(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETCOACH_")}
    return env | {f"NETCOACH_{name.upper()}": value for name, value in settings.items()}


async def _netcoach(
    *args: str, cwd: Path, env: dict[str, str], typed: str = "", timeout: float = 60
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(typed.encode()), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_without_a_token_on_a_configured_database_stops_in_one_line(
    tmp_path: Path,
) -> None:
    database = tmp_path / "members.db"
    await _database_with_due_members(database)
    before = _dump(database)

    code, _out, err = await _netcoach(
        "run",
        cwd=tmp_path,
        env=_environment(database_url=f"sqlite+aiosqlite:///{database}"),
    )

    assert code == 2
    assert err.count("\n") == 1 and err.startswith("netcoach: NETCOACH_BOT_TOKEN")
    assert "netcoach chat" in err
    assert _dump(database) == before


async def test_the_demo_next_to_an_operators_default_database_leaves_it_alone(
    tmp_path: Path,
) -> None:
    # The default NETCOACH_DATABASE_URL is netcoach.db in the working directory.
    database = tmp_path / "netcoach.db"
    await _database_with_due_members(database)
    before = _dump(database)

    # Long enough for the demo's dispatcher to have run several times (it ticks at once).
    code, out, _err = await _netcoach(
        "run", cwd=tmp_path, env=_environment(), typed="/start\n:wait 1h\n:wait 1h\n:quit\n"
    )

    assert code == 0
    assert "starting the local demo on a throw-away database" in out
    assert "netcoach ▸ Hallo Alex!" in out
    assert _dump(database) == before


async def test_the_demo_refuses_a_database_with_real_members_given_as_its_own(
    tmp_path: Path,
) -> None:
    database = tmp_path / "members.db"
    await _database_with_due_members(database)
    before = _dump(database)

    code, _out, err = await _netcoach(
        "chat", "--db", str(database), cwd=tmp_path, env=_environment()
    )

    assert code == 2
    assert err == (
        f"netcoach: this database holds {MEMBERS} real member(s); the demo only runs on a "
        "database of its own (leave out --db, or give a new file)\n"
    )
    assert _dump(database) == before


async def test_the_demo_keeps_its_own_database_between_sessions(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    # The first session begins the set-up (chooses German); the second starts again.
    for typed in ("/start\n/language de\n:quit\n", "/start\n:quit\n"):
        code, out, err = await _netcoach(
            "chat", "--db", str(database), cwd=tmp_path, env=_environment(), typed=typed
        )
        assert code == 0, err
    # The second session found the demo member of the first and went on where they were.
    assert "wo wir waren" in out
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone() == (1,)


async def test_make_run_with_a_copied_env_example_and_no_token_starts_the_demo(
    tmp_path: Path,
) -> None:
    # The newcomer follows .env.example's header: copy it to .env, fill in nothing yet.
    (tmp_path / ".env").write_text((REPOSITORY / ".env.example").read_text())

    code, out, err = await _netcoach(
        "run", cwd=tmp_path, env=_environment(), typed="/start\n:quit\n"
    )

    assert code == 0, err
    assert "starting the local demo on a throw-away database" in out
    assert "netcoach ▸ Hallo Alex!" in out
