"""An operator asks which version runs; the version is written in one place only."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import bot
from tests.support.processes import netcoach

ROOT = Path(__file__).resolve().parent.parent


def test_netcoach_version_names_the_program_and_its_version(tmp_path: Path) -> None:
    # A broken setting must not hide the version: it is what an operator asks for first.
    env = {"NETCOACH_TICK_SECONDS": "0", "PATH": "/usr/bin:/bin"}
    result = netcoach("--version", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"netcoach {bot.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", bot.__version__)


def test_the_version_is_declared_once_in_bot_init() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]
    assert dynamic["version"] == {"attr": "bot.__version__"}


def test_the_installed_metadata_carries_the_same_version() -> None:
    # Fails on an environment installed before the last bump: `make install` refreshes it.
    assert version("netcoach") == bot.__version__
