"""What an operator installs is what works: the built wheel, in a new environment, outside the tree.

The wheel is built and installed by `deploy/install-wheel.sh`, the same step the container
image runs. Nothing here imports the checkout: the installed program runs from a
directory of its own with a clean environment, and answers a member over the simulator.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simulator import SimUser, TelegramSimulator

REPOSITORY = Path(__file__).resolve().parents[1]
INSTALL_STEP = REPOSITORY / "deploy" / "install-wheel.sh"
# Folders of the repository that are not part of the product (or hold no Python at all).
NOT_SHIPPED = {"tests", "benchmarks", "tools", "deploy", "build", "dist"}
DATA_SUFFIXES = {".yaml", ".mako", ".json", ".ttf"}


def _clean_environment(**settings: str) -> dict[str, str]:
    """The environment of a fresh shell: no NETCOACH_*, nothing pointing at the checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NETCOACH_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return env | {f"NETCOACH_{name.upper()}": value for name, value in settings.items()}


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new virtual environment, outside the tree, with the wheel of this checkout in it.

    Built once per run: pytest-xdist's workers share the run's temporary folder, and the
    first to get here builds while the others wait for it.
    """
    run = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent
    folder = run / "installed"
    folder.mkdir(exist_ok=True)
    venv, built = folder / "venv", folder / "built"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            shutil.rmtree(venv, ignore_errors=True)  # what a failed build left
            subprocess.run(
                ["sh", str(INSTALL_STEP), str(REPOSITORY), str(venv)],
                check=True,
                cwd=folder,
                env=_clean_environment() | {"PYTHON": sys.executable},
                capture_output=True,
                timeout=600,
            )
            built.touch()
    yield venv


def _site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python3*/site-packages")
    return found


def _source_packages() -> list[Path]:
    """Every package directory of the checkout that belongs to the product."""
    packages = []
    for init in REPOSITORY.rglob("__init__.py"):
        relative = init.parent.relative_to(REPOSITORY)
        top = relative.parts[0]
        if top in NOT_SHIPPED or top.startswith("."):
            continue
        packages.append(relative)
    return sorted(packages)


def test_every_package_and_data_file_of_the_tree_is_in_the_installed_wheel(
    installed: Path,
) -> None:
    site = _site_packages(installed)
    packages = _source_packages()
    # The product's own top-level packages are all there, so this cannot pass on nothing.
    assert {p.parts[0] for p in packages} >= {"bot", "handlers", "content", "storage", "simulator"}
    missing = [str(p) for p in packages if not (site / p / "__init__.py").is_file()]
    assert missing == []

    data_files = [
        path.relative_to(REPOSITORY)
        for package in {REPOSITORY / p.parts[0] for p in packages}
        for path in package.rglob("*")
        if path.suffix in DATA_SUFFIXES and "__pycache__" not in path.parts
    ]
    assert any(path.parts[:2] == ("content", "cards") for path in data_files)
    assert [str(path) for path in data_files if not (site / path).is_file()] == []


def test_the_installed_program_imports_nothing_from_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    shown = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import bot, content, handlers, simulator, storage, bot.screens, bot.domain;"
            "print('\\n'.join(m.__file__ for m in (bot, content, handlers, simulator, storage)))",
        ],
        cwd=tmp_path,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(shown) == 5
    assert all(Path(path).is_relative_to(installed) for path in shown), shown


@asynccontextmanager
async def _installed_netcoach(
    venv: Path, sim: TelegramSimulator, workdir: Path, database: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    log = (workdir / "netcoach.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        str(venv / "bin" / "netcoach"),
        "run",
        cwd=workdir,
        env=_clean_environment(
            bot_token=sim.token,
            api_base_url=sim.base_url,
            database_url=f"sqlite+aiosqlite:///{database}",
            tick_seconds="0.5",
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        log.close()


async def _answers(user: SimUser, text: str, count: int) -> list[str]:
    await user.send(text)
    # Generous: the first answer waits for the process to start and migrate its database.
    return [(await user.next_message(timeout=60)).text or "" for _ in range(count)]


async def test_the_installed_bot_onboards_a_member_and_sends_the_weekly_prompt(
    installed: Path, tmp_path: Path
) -> None:
    database = tmp_path / "netcoach.db"
    async with TelegramSimulator("123456:INSTALLED") as sim:
        lena = sim.user("Lena", language_code="de")
        async with _installed_netcoach(installed, sim, tmp_path, database) as process:
            welcome, _language = await _answers(lena, "/start", 2)
            assert "Hallo Lena" in welcome
            await _answers(lena, "/language de", 1)
            confirmation, _weekday = await _answers(lena, "/timezone Europe/Berlin", 2)
            assert "Europe/Berlin" in confirmation
            (done,) = await _answers(lena, "/schedule Montag 09:00", 1)
            assert "jeden Montag um 09:00 Uhr" in done

            # A week passes: her slot is moved to a minute ago, as the clock would move it.
            a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
            with sqlite3.connect(database) as connection:
                connection.execute(
                    "UPDATE users SET next_prompt_at = ? WHERE telegram_id = ?",
                    (a_minute_ago.strftime("%Y-%m-%d %H:%M:%S.%f"), lena.id),
                )
            prompt = await lena.next_message(timeout=30)
            assert "Netzwerken heißt Beziehungen pflegen" in (prompt.text or "")
            assert prompt.buttons, "the weekly prompt comes with its buttons"
            assert process.returncode is None
        assert process.returncode == 0, (tmp_path / "netcoach.log").read_text()
