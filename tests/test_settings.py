"""An operator configures netcoach through NETCOACH_* variables; mistakes stop start-up clearly."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from tests.support.processes import netcoach


def test_defaults_need_no_configuration() -> None:
    settings = load_settings(_env_file=None)
    assert settings.bot_token is None
    assert settings.demo_mode
    assert settings.database_url == "sqlite+aiosqlite:///netcoach.db"
    assert settings.tick_seconds == 15
    assert settings.max_messages_per_second == 30
    assert settings.paid_broadcast is False
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


KEY = "q" * 43  # 32 bytes in URL-safe base64, as `netcoach keys generate` prints them
SECRET = "Webhook-secret_of-exactly-32-chr"


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("NETCOACH_TICK_SECONDS", "0", "greater than or equal to 0.1"),
        ("NETCOACH_TICK_SECONDS", "86400", "less than or equal to 3600"),
        ("NETCOACH_DELIVERY_LEASE_SECONDS", "0.5", "greater than or equal to 1"),
        ("NETCOACH_QUIET_HOURS", "25:99-07:00", "hours 0-23, minutes 0-59"),
        ("NETCOACH_QUIET_HOURS", "22:00-24:00", "hours 0-23, minutes 0-59"),
        ("NETCOACH_QUIET_HOURS", "22:00-22:00", "write off for none"),
        ("NETCOACH_QUIET_HOURS", "nachts", "must look like 22:00-07:00"),
        ("NETCOACH_ENCRYPTION_KEY", "my-secret-password", "32 bytes in URL-safe base64"),
        ("NETCOACH_ENCRYPTION_KEY", KEY[:-4], "32 bytes in URL-safe base64"),
        ("NETCOACH_WEBHOOK_SECRET", SECRET[:-1], "32 to 256 characters"),
        ("NETCOACH_WEBHOOK_SECRET", "x" * 257, "32 to 256 characters"),
        ("NETCOACH_WEBHOOK_SECRET", SECRET.replace("_", "."), "A-Z, a-z, 0-9, _ and -"),
        ("NETCOACH_API_BASE_URL", "api.telegram.org/bot", "not a https:// or http:// URL"),
        ("NETCOACH_API_BASE_URL", "http://bot-api.example.org/bot", "unencrypted"),
        ("NETCOACH_API_BASE_URL", "https://api.telegram.org:99999/bot", "port"),
        ("NETCOACH_WEBHOOK_URL", "bot.example.org/hook", "not a https:// or http:// URL"),
        ("NETCOACH_WEBHOOK_URL", "http://bot.example.org/hook", "Telegram only posts to https"),
        ("NETCOACH_WEBHOOK_URL", "https://bot.example.org:9443/hook", "ports 443, 80, 88"),
        ("NETCOACH_WEBHOOK_URL", "https://127.0.0.1/hook", "cannot be reached by Telegram"),
        ("NETCOACH_BOT_TOKEN", "123456:ABC def", "not a bot token"),
        ("NETCOACH_BOT_TOKEN", "ABC", "not a bot token"),
        ("NETCOACH_ADMIN_IDS", "42,-100123", "a positive integer"),
        ("NETCOACH_WEBHOOK_LISTEN", "every interface", "not an address to listen on"),
        ("NETCOACH_HEALTH_LISTEN", "127.0.0.1:9464", "not an address to listen on"),
        ("NETCOACH_RETENTION_DAYS", "1000000000", "less than or equal to 36500"),
        ("NETCOACH_MAX_MESSAGES_PER_SECOND", "100000", "less than or equal to 1000"),
        ("NETCOACH_ADMIN_IDS", "42,alice", "'alice' is not a Telegram user id"),
        ("NETCOACH_DATABASE_URL", "not a url", "is not a database URL"),
        ("NETCOACH_DATABASE_URL", "mysql://root@localhost/x", "unsupported database"),
        ("NETCOACH_MAX_MESSAGES_PER_SECOND", "-1", "greater than 0"),
        ("NETCOACH_PAID_BROADCAST", "sometimes", "valid boolean"),
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
    assert caught.value.problems == (str(caught.value),)
    assert str(caught.value).startswith(f"{variable}: ")
    assert complaint in str(caught.value)
    if variable in ("NETCOACH_BOT_TOKEN", "NETCOACH_ENCRYPTION_KEY", "NETCOACH_WEBHOOK_SECRET"):
        assert value not in str(caught.value), "a secret, even a mistyped one, is never shown"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NETCOACH_QUIET_HOURS", "off"),
        ("NETCOACH_QUIET_HOURS", "23:30-6:15"),
        ("NETCOACH_ENCRYPTION_KEY", KEY),
        ("NETCOACH_WEBHOOK_SECRET", SECRET),
        # A Bot API server of one's own, on this host or beside it in a compose network.
        ("NETCOACH_API_BASE_URL", "http://127.0.0.1:8081/bot"),
        ("NETCOACH_API_BASE_URL", "http://telegram-bot-api:8081/bot"),
        ("NETCOACH_API_BASE_URL", "http://10.0.0.7:8081/bot"),
        ("NETCOACH_WEBHOOK_URL", "https://bot.example.org/telegram"),
        ("NETCOACH_WEBHOOK_URL", "https://bot.example.org:8443/telegram"),
        ("NETCOACH_WEBHOOK_LISTEN", "0.0.0.0"),
        ("NETCOACH_HEALTH_LISTEN", "::"),
        ("NETCOACH_HEALTH_LISTEN", "localhost"),
        ("NETCOACH_TICK_SECONDS", "0.2"),
        ("NETCOACH_PAID_BROADCAST", "true"),
    ],
)
def test_sensible_values_are_accepted(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    load_settings(_env_file=None)


def test_a_webhook_over_plain_http_is_accepted_only_beside_a_local_bot_api_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A local Bot API server (and the simulator) posts to http on any port; Telegram never.
    monkeypatch.setenv("NETCOACH_WEBHOOK_URL", "http://127.0.0.1:9000/hook")
    monkeypatch.setenv("NETCOACH_API_BASE_URL", "http://127.0.0.1:8081/bot")
    assert load_settings(_env_file=None).webhook_url == "http://127.0.0.1:9000/hook"
    monkeypatch.delenv("NETCOACH_API_BASE_URL")
    with pytest.raises(SettingsError, match=r"^NETCOACH_WEBHOOK_URL: .*cannot be reached"):
        load_settings(_env_file=None)


def test_every_bad_value_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCOACH_QUIET_HOURS", "25:99-07:00")
    monkeypatch.setenv("NETCOACH_WEBHOOK_SECRET", "short")
    monkeypatch.setenv("NETCOACH_TICK_SECONDS", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert sorted(problem.split(":")[0] for problem in caught.value.problems) == [
        "NETCOACH_QUIET_HOURS",
        "NETCOACH_TICK_SECONDS",
        "NETCOACH_WEBHOOK_SECRET",
    ]


def test_start_up_stops_with_one_line_naming_the_setting(tmp_path) -> None:
    env = {"NETCOACH_TICK_SECONDS": "0", "PATH": "/usr/bin:/bin"}
    result = netcoach("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("netcoach: NETCOACH_TICK_SECONDS: ")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        # Accepted before, and then every dispatch failed on it.
        ("NETCOACH_QUIET_HOURS", "25:99-07:00"),
        # Accepted before, and then start-up ended in a traceback.
        ("NETCOACH_ENCRYPTION_KEY", "not-a-key"),
        ("NETCOACH_WEBHOOK_SECRET", "a"),
        ("NETCOACH_API_BASE_URL", "http://bot-api.example.org/bot"),
        ("NETCOACH_WEBHOOK_URL", "https://bot.example.org:9443/hook"),
        ("NETCOACH_ADMIN_IDS", "-100123"),
        ("NETCOACH_WEBHOOK_LISTEN", "every interface"),
        ("NETCOACH_RETENTION_DAYS", "1000000000"),
        ("NETCOACH_BOT_TOKEN", "123456:ABC def"),
        # Telegram passes on only A-Z a-z 0-9 _ - after ?start=: this link could never work.
        ("NETCOACH_NETWORKS", "verein-nord,verein süd"),
    ],
)
def test_netcoach_run_stops_on_a_bad_value_in_one_line_naming_it(
    tmp_path, variable: str, value: str
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "NETCOACH_BOT_TOKEN": "123456:ABC-def",
        "NETCOACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}",
        variable: value,
    }
    result = netcoach("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"netcoach: {variable}: ")
    assert not (tmp_path / "netcoach.db").exists(), "nothing was started"


def test_content_check_passes_on_the_shipped_cards_and_catalogs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    assert main(["content", "check"]) == 0
    assert "cards and catalogs are fine" in capsys.readouterr().out
