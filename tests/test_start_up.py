"""An operator starts netcoach against a database or a Bot API that will not have it: one line."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from simulator import TelegramSimulator
from storage.crypto import generate_key
from tests.support.databases import postgres_url
from tests.support.processes import netcoach

KEY = generate_key()
TOKEN = "123456:ABC-def_the-operators-token"

# Every command that opens the operator's database.
COMMANDS = {
    "run": ["run"],
    "run --dispatch-only": ["run", "--dispatch-only"],
    "db upgrade": ["db", "upgrade"],
    "report": ["report", "--out", "report.html"],
    "keys rotate": ["keys", "rotate"],  # its keys come from the environment (below)
}


async def _netcoach(cwd: Path, *args: str, **settings: str) -> tuple[int, list[str]]:
    """Run `python -m bot ARGS` with only the given NETCOACH_* settings; exit code, stderr lines."""
    env = {"PATH": "/usr/bin:/bin", "NETCOACH_BOT_TOKEN": TOKEN, "NETCOACH_ENCRYPTION_KEY": KEY}
    env |= {f"NETCOACH_{name.upper()}": value for name, value in settings.items()}
    finished = await asyncio.to_thread(netcoach, *args, env=env, cwd=cwd)
    return finished.returncode, finished.stderr.strip().splitlines()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_sqlite_file_in_a_missing_directory_stops_every_command_in_one_line(
    tmp_path: Path, command: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-directory' / 'netcoach.db'}"
    code, lines = await _netcoach(tmp_path, *COMMANDS[command], database_url=url)
    assert code == 2
    assert lines == [
        f"netcoach: NETCOACH_DATABASE_URL: the directory {tmp_path / 'no-such-directory'} "
        "of the SQLite file does not exist: create it or correct the path"
    ]


async def test_a_sqlite_file_where_nothing_may_be_written_stops_start_up_in_one_line(
    tmp_path: Path,
) -> None:
    # /proc takes no new files, not even from root (tests may run as root, who may
    # write anywhere a permission bit says no).
    code, lines = await _netcoach(
        tmp_path, "run", database_url="sqlite+aiosqlite:////proc/netcoach.db"
    )
    assert code == 2
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("netcoach: NETCOACH_DATABASE_URL: cannot open the SQLite file ")
    assert "writable" in line


async def test_a_path_to_something_that_is_no_database_stops_start_up_in_one_line(
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Anna anrufen wegen des Projekts\n" * 40)
    code, lines = await _netcoach(tmp_path, "run", database_url=f"sqlite+aiosqlite:///{notes}")
    assert (code, lines) == (
        2,
        [f"netcoach: NETCOACH_DATABASE_URL: {notes} is not a SQLite database: check the path"],
    )
    assert "Anna" in notes.read_text(), "left as it was"


@pytest.mark.parametrize("command", ["run", "run --dispatch-only", "db upgrade"])
async def test_postgresql_that_is_not_running_stops_start_up_in_one_line(
    tmp_path: Path, command: str
) -> None:
    port = _closed_port()
    url = f"postgresql+asyncpg://netcoach:pw-never-shown@127.0.0.1:{port}/netcoach"
    code, lines = await _netcoach(tmp_path, *COMMANDS[command], database_url=url)
    assert code == 2
    assert lines == [
        f"netcoach: NETCOACH_DATABASE_URL: nothing answers at 127.0.0.1:{port}: "
        "check that PostgreSQL runs there and the port"
    ]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"username": "nobody_here", "password": "pw-never-shown"}, "refused user 'nobody_here'"),
        ({"database": "netcoach_never_created"}, "there is no database 'netcoach_never_created'"),
    ],
)
async def test_postgresql_refusing_the_login_or_lacking_the_database_stops_in_one_line(
    tmp_path: Path, change: dict[str, str], complaint: str
) -> None:
    server = postgres_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NETCOACH_TEST_POSTGRES_URL (set by .ci/run)")
    url = make_url(server).set(**change).render_as_string(hide_password=False)  # type: ignore[arg-type]
    code, lines = await _netcoach(tmp_path, "run", database_url=url)
    assert code == 2
    (line,) = lines
    assert line.startswith("netcoach: NETCOACH_DATABASE_URL: ")
    assert complaint in line
    assert "pw-never-shown" not in line


async def test_a_token_the_bot_api_refuses_stops_start_up_in_one_line_without_the_token(
    sim: TelegramSimulator, tmp_path: Path
) -> None:
    # A migrated database, so the one line is all there is to read.
    database = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    assert await _netcoach(tmp_path, "db", "upgrade", database_url=database) == (0, [])
    code, lines = await _netcoach(tmp_path, "run", database_url=database, api_base_url=sim.base_url)
    assert code == 2
    assert lines == [
        "netcoach: NETCOACH_BOT_TOKEN: Telegram refused the token (check it with @BotFather)"
    ]
    assert sim.stats.per_status[401], "the simulator was asked, and said no"


async def test_a_webhook_port_in_use_stops_start_up_in_one_line(
    sim: TelegramSimulator, tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, lines = await _netcoach(
            tmp_path,
            "run",
            bot_token=sim.token,
            database_url=database,
            api_base_url=sim.base_url,
            webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_secret="s" * 32,
            webhook_port=str(port),
        )
    assert code == 2
    assert lines[-1] == (
        f"netcoach: NETCOACH_WEBHOOK_PORT: cannot listen on 127.0.0.1:{port} "
        "(in use by another program)"
    )
    assert not any("Traceback" in line for line in lines)


async def test_an_unforeseen_crash_ends_with_one_line_and_a_scrubbed_traceback(
    tmp_path: Path,
) -> None:
    # Nobody foresaw a report written into a folder that does not exist.
    target = tmp_path / "no-such-folder" / "report-for-Anna.html"
    code, lines = await _netcoach(
        tmp_path,
        "report",
        "--out",
        str(target),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}",
    )
    assert code == 1
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == (
        "netcoach: unexpected error (FileNotFoundError); the lines above say where "
        "(no member's words or tokens are in them)"
    )
    # OSError messages name files, which may carry anything: they are left out.
    assert not any("report-for-Anna" in line for line in lines)
