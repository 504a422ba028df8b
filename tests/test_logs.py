"""Operators can hand their logs to anyone: no token, no member's words, even at DEBUG."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from telegram.error import InvalidToken

from bot.domain.runtime import Runtime
from bot.logs import (
    JsonFormatter,
    TextFormatter,
    configure_logging,
    protect_logs,
    redact,
    without_quotes,
)
from bot.runner import StartUpRefused, running_bot
from simulator import TelegramSimulator
from storage.engine import create_engine
from tests.support.harness import UNPACED_CHAT_RATE, bot_against, chat

MARKER = "Zephyrine-7f3a confided her plans to Quillon"


def _everything_written(records: list[logging.LogRecord]) -> str:
    """Every record as the text and the JSON formatter write it, tracebacks included."""
    text, json_lines = TextFormatter(), JsonFormatter()
    return "\n".join(
        f"{text.format(record)}\n{json_lines.format(record)}\n{record.exc_text or ''}"
        for record in records
    )


def _simulator(token: str) -> TelegramSimulator:
    """A simulator with a token of the test's own; a chat's pace is not the story here."""
    return TelegramSimulator(token, per_chat_rate=UNPACED_CHAT_RATE)


def _assert_discreet(records: list[logging.LogRecord], *secrets: str) -> str:
    assert records, "the test must actually capture logs"
    written = _everything_written(records)
    for secret in secrets:
        assert secret not in written
        # JSON escapes nothing in these, but a traceback could quote the repr.
        assert json.dumps(secret)[1:-1] not in written
    return written


async def test_a_debug_log_of_a_whole_session_holds_neither_token_nor_text(
    caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "987654:SECRET-token_value"
    async with _simulator(token) as sim, bot_against(sim, runtime):
        zoe = sim.user("Zoe", language_code="en")
        await chat(zoe, "/start", replies=2)
        await chat(zoe, "/timezone Europe/Paris", replies=2)
        await chat(zoe, "/schedule fri 10:00")
        await chat(zoe, "/next")
        await chat(zoe, f"/reflect {MARKER}")
        await chat(zoe, MARKER)
        await chat(zoe, "/journal")
    _assert_discreet(caplog.records, token, "SECRET-token_value", MARKER, "Zephyrine")


@pytest.fixture
async def reflections_refused(database_url: str) -> AsyncIterator[None]:
    """The database refuses any reflection holding the marker, as a constraint would."""
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        # SQLite's messages never quote values; its trigger messages are literals.
        add = (
            "CREATE TRIGGER refuse_marker BEFORE INSERT ON reflections "
            "WHEN instr(NEW.text, 'Zephyrine') > 0 BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        remove = "DROP TRIGGER refuse_marker"
    else:
        # PostgreSQL names the failing row in its DETAIL: "Failing row contains (…)".
        add = (
            "ALTER TABLE reflections ADD CONSTRAINT ck_test_refuse_marker "
            "CHECK (position('Zephyrine' in text) = 0)"
        )
        remove = "ALTER TABLE reflections DROP CONSTRAINT ck_test_refuse_marker"
    async with engine.begin() as connection:
        await connection.execute(text(add))
    try:
        yield
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(remove))
        await engine.dispose()


@pytest.mark.usefixtures("reflections_refused")
async def test_a_reflection_the_database_refuses_leaves_no_trace_of_its_words_in_the_log(
    caplog: pytest.LogCaptureFixture, runtime: Runtime, database_url: str
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "987654:SECRET-token_value"
    async with _simulator(token) as sim, bot_against(sim, runtime):
        zoe = sim.user("Zoe", language_code="en")
        await chat(zoe, "/start", replies=2)
        await chat(zoe, "/timezone Europe/Paris", replies=2)
        await chat(zoe, "/schedule fri 10:00")
        await chat(zoe, "/next")
        (sorry,) = await chat(zoe, f"/reflect {MARKER}")
    assert "went wrong" in (sorry.text or "")
    failures = [r for r in caplog.records if r.exc_info and r.name == "netcoach.errors"]
    assert len(failures) == 1, "the refused insert reached the error handler with its traceback"
    written = _assert_discreet(caplog.records, token, MARKER, "Zephyrine")
    assert "IntegrityError" in written and "INSERT INTO reflections" in written
    if "postgresql" in database_url:
        assert "SQLSTATE 23514" in written  # check_violation: the code stays, the row goes


async def test_a_database_error_quoting_a_value_is_logged_with_its_code_only(
    runtime: Runtime, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    # asyncpg quotes the value it cannot convert; SQLite converts anything and refuses
    # unknown functions instead (its message then names the function, not the value).
    statement = (
        "SELECT CAST(:said AS integer)"
        if "postgresql" in database_url
        else "SELECT no_such_function(:said)"
    )
    async with runtime.sessions() as session:
        try:
            await session.execute(text(statement), {"said": MARKER})
        except DBAPIError:
            logging.getLogger("netcoach.test").exception("a statement failed")
    (record,) = [r for r in caplog.records if r.name == "netcoach.test"]
    written = _assert_discreet([record], MARKER, "Zephyrine")
    assert "DBAPIError" in written or "OperationalError" in written
    assert statement.split("(")[0] in written  # our statement stays, to find the bug by


def test_an_exception_quoting_what_a_member_typed_is_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protect_logs()
    log = logging.getLogger("netcoach.test")
    for parse in (int, ZoneInfo):
        try:
            try:
                parse(MARKER)
            except (ValueError, KeyError) as problem:
                raise RuntimeError("the member's answer could not be read") from problem
        except RuntimeError as problem:
            log.exception("reading an answer failed")
            log.warning("reading an answer failed: %s", problem.__cause__)
    written = _assert_discreet(caplog.records, MARKER, "Zephyrine")
    assert "ValueError: (message left out" in written
    assert "ZoneInfoNotFoundError: (message left out" in written
    assert "The above exception was the direct cause" in written  # the chain stays


async def test_an_invalid_token_at_start_up_is_in_no_log_line_or_traceback(
    caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    caplog.set_level(logging.DEBUG)
    # One token shaped like Telegram's, one not: both must go, whatever their shape.
    for wrong in ("424242:WRONG-token_value", "Zephyrine-not-even-token-shaped"):
        async with TelegramSimulator("987654:RIGHT-token_value") as sim:
            with pytest.raises(StartUpRefused) as refused:
                async with running_bot(runtime, token=wrong, base_url=sim.base_url):
                    pass
            assert wrong not in str(refused.value)
            # Answered 401 by the simulator; PTB repeats the token in its own error, which
            # the refusal keeps as its context: logging either must not write the token.
            original = refused.value.__context__
            assert isinstance(original, InvalidToken) and wrong in str(original)
            logging.getLogger("netcoach").error("start-up failed", exc_info=refused.value)
            logging.getLogger("netcoach").error("telegram said", exc_info=original)
            assert sim.stats.per_status[401] >= 1
    written = _assert_discreet(caplog.records, "424242:WRONG-token_value", "Zephyrine")
    assert "InvalidToken: The token … was rejected by the server." in written


async def test_a_token_revoked_while_running_is_in_no_log_line_or_traceback(
    caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "987654:REVOKED-token_value"
    async with TelegramSimulator(token) as sim:
        try:
            async with bot_against(sim, runtime):
                sim.faults.fail_next(status=401, method="getUpdates", description="Unauthorized")
                for _ in range(100):
                    if sim.faults.injected:
                        break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.2)  # PTB gives up polling and logs why
        except (InvalidToken, RuntimeError) as stopped:
            # PTB re-raises the refusal when the updater stops; how the bot winds down
            # then is bot.runner's business, what it would log is this test's.
            logging.getLogger("netcoach").error("the bot stopped", exc_info=stopped)
    assert sim.faults.injected == 1
    written = _assert_discreet(caplog.records, token, "REVOKED-token_value")
    assert "Invalid token" in written


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


def test_the_configured_token_is_redacted_whatever_its_shape() -> None:
    protect_logs("odd-token-without-a-colon")
    assert redact("POST /botodd-token-without-a-colon/getMe") == "POST /bot<token>/getMe"
    protect_logs("abc")  # too short to replace safely: ordinary words would vanish
    assert redact("abc def") == "abc def"


def test_what_telegram_quotes_from_a_refused_message_is_left_out() -> None:
    refused = 'Bad Request: can\'t parse entities: Unsupported start tag "zephyrine" at byte 3'
    assert without_quotes(refused) == (
        "Bad Request: can't parse entities: Unsupported start tag … at byte 3"
    )
