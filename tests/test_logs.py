"""Operators can hand their logs to anyone: no token, no member's words, even at DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.domain.runtime import Runtime
from bot.logs import TextFormatter, configure_logging, redact
from simulator import TelegramSimulator
from tests.support.harness import bot_against, chat

MARKER = "Zephyrine-7f3a confided her plans to Quillon"


async def test_a_debug_log_of_a_whole_session_holds_neither_token_nor_text(
    caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "987654:SECRET-token_value"
    async with TelegramSimulator(token) as sim:
        async with bot_against(sim, runtime):
            zoe = sim.user("Zoe", language_code="en")
            await chat(zoe, "/start", replies=2)
            await chat(zoe, "/timezone Europe/Paris", replies=2)
            await chat(zoe, "/schedule fri 10:00")
            await chat(zoe, "/next")
            await chat(zoe, f"/reflect {MARKER}")
            await chat(zoe, MARKER)
            await chat(zoe, "/journal")
        sim_records = len(caplog.records)
    assert sim_records > 0, "the test must actually capture logs"
    everything = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    assert token not in everything
    assert "SECRET-token_value" not in everything
    assert MARKER not in everything
    assert "Zephyrine" not in everything


def test_token_shaped_strings_are_redacted() -> None:
    url = "POST http://127.0.0.1:8081/bot123456:AAH-x_y/sendMessage 200"
    assert redact(url) == "POST http://127.0.0.1:8081/bot<token>/sendMessage 200"
    assert redact("at 2026-11-26 08:00:00") == "at 2026-11-26 08:00:00"


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    """`configure_logging` replaces the root handlers; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def _log_a_failure_with_a_token(token: str) -> None:
    log = logging.getLogger("netcoach.test")
    log.warning("GET http://127.0.0.1:8081/bot%s/getMe answered 502", token)
    try:
        raise ConnectionError(f"cannot reach http://127.0.0.1:8081/bot{token}/sendMessage")
    except ConnectionError:
        log.exception("dispatch run failed")


@pytest.mark.usefixtures("restore_root_logger")
def test_json_logs_are_one_object_per_line_and_scrubbed_like_text_logs(tmp_path: Path) -> None:
    token = "424242:JSON-token_value"
    path = tmp_path / "netcoach.log"
    configure_logging(filename=str(path), log_format="json")
    _log_a_failure_with_a_token(token)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2, "a traceback stays inside its line"
    warning, failure = (json.loads(line) for line in lines)
    assert warning["level"] == "WARNING" and warning["logger"] == "netcoach.test"
    assert warning["message"] == "GET http://127.0.0.1:8081/bot<token>/getMe answered 502"
    assert datetime.fromisoformat(warning["time"]).utcoffset() == timedelta(0)
    assert failure["message"] == "dispatch run failed"
    assert failure["exception"] == "ConnectionError"
    assert "Traceback (most recent call last)" in failure["traceback"]
    assert "bot<token>/sendMessage" in failure["traceback"]
    assert token not in path.read_text(encoding="utf-8")


@pytest.mark.usefixtures("restore_root_logger")
def test_text_logs_scrub_a_token_inside_a_traceback_too(tmp_path: Path) -> None:
    token = "424242:TEXT-token_value"
    path = tmp_path / "netcoach.log"
    configure_logging(filename=str(path))
    _log_a_failure_with_a_token(token)

    written = path.read_text(encoding="utf-8")
    assert "WARNING netcoach.test: GET http://127.0.0.1:8081/bot<token>/getMe" in written
    assert "ConnectionError: cannot reach http://127.0.0.1:8081/bot<token>/sendMessage" in written
    assert token not in written


async def test_a_failed_statement_logged_with_its_traceback_holds_no_members_words(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async with runtime.sessions() as session:
        try:
            await session.execute(
                text("SELECT text FROM no_such_table WHERE text = :said"), {"said": MARKER}
            )
        except DBAPIError:
            logging.getLogger("netcoach.test").exception("a statement failed")
    (record,) = [r for r in caplog.records if r.name == "netcoach.test"]
    logged = TextFormatter().format(record)
    assert "no_such_table" in logged  # the statement is there, to find the bug by
    assert MARKER not in logged
