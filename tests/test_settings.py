"""An operator configures netcoach through NETCOACH_* variables; mistakes stop start-up clearly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_need_no_configuration() -> None:
    settings = load_settings(_env_file=None)
    assert settings.bot_token is None
    assert settings.demo_mode
    assert settings.database_url == "sqlite+aiosqlite:///netcoach.db"
    assert settings.tick_seconds == 15
    assert settings.max_messages_per_second == 30
    assert settings.default_language == "de"
    assert settings.admin_ids == frozenset()
    assert settings.health_port is None
    assert settings.log_format == "text"


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCOACH_BOT_TOKEN", "123:ABC")
    monkeypatch.setenv("NETCOACH_ADMIN_IDS", "42, 7")
    monkeypatch.setenv("NETCOACH_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("NETCOACH_TICK_SECONDS", "2.5")
    settings = load_settings(_env_file=None)
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123:ABC"
    assert "123:ABC" not in repr(settings)
    assert settings.admin_ids == frozenset({42, 7})
    # Plain driver names are accepted and mapped to the async drivers.
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1/test"
    assert settings.tick_seconds == 2.5


def test_health_server_and_json_logs_are_switched_on_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETCOACH_HEALTH_PORT", "9464")
    monkeypatch.setenv("NETCOACH_HEALTH_LISTEN", "0.0.0.0")
    monkeypatch.setenv("NETCOACH_LOG_FORMAT", "JSON")
    settings = load_settings(_env_file=None)
    assert (settings.health_port, settings.health_listen) == (9464, "0.0.0.0")
    assert settings.log_format == "json"


def test_settings_are_read_from_a_dotenv_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("NETCOACH_DEFAULT_LANGUAGE=en\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().default_language == "en"


def test_an_empty_variable_counts_as_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    # As an operator's .env copied from .env.example has them: `NETCOACH_BOT_TOKEN=`.
    for name in ("BOT_TOKEN", "ENCRYPTION_KEY", "WEBHOOK_SECRET", "WEBHOOK_PORT", "RETENTION_DAYS"):
        monkeypatch.setenv(f"NETCOACH_{name}", "")
    settings = load_settings(_env_file=None)
    assert settings.bot_token is None
    assert settings.demo_mode
    assert settings.encryption_key is None
    assert settings.webhook_secret is None
    assert settings.webhook_port is None
    assert settings.retention_days is None


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("NETCOACH_TICK_SECONDS", "0", "greater than 0"),
        ("NETCOACH_ADMIN_IDS", "42,alice", "'alice' is not a Telegram user id"),
        ("NETCOACH_DATABASE_URL", "not a url", "is not a database URL"),
        ("NETCOACH_DATABASE_URL", "mysql://root@localhost/x", "unsupported database"),
        ("NETCOACH_MAX_MESSAGES_PER_SECOND", "-1", "greater than 0"),
        ("NETCOACH_DEFAULT_LANGUAGE", "fr", "'de' or 'en'"),
        ("NETCOACH_HEALTH_PORT", "0", "greater than or equal to 1"),
        ("NETCOACH_HEALTH_PORT", "65536", "less than or equal to 65535"),
        ("NETCOACH_HEALTH_PORT", "metrics", "valid integer"),
        ("NETCOACH_LOG_FORMAT", "xml", "'text' or 'json'"),
    ],
)
def test_a_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith(f"{variable}: ")
    assert complaint in str(caught.value)


def test_start_up_stops_with_one_line_naming_the_setting(tmp_path) -> None:
    env = {"NETCOACH_TICK_SECONDS": "0", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("netcoach: NETCOACH_TICK_SECONDS: ")


def test_content_check_passes_on_the_shipped_cards_and_catalogs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    assert main(["content", "check"]) == 0
    assert "cards and catalogs are fine" in capsys.readouterr().out
