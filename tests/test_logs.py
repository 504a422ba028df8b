"""Operators can hand their logs to anyone: no token, no member's words, even at DEBUG."""

from __future__ import annotations

import logging

import pytest

from bot.domain.runtime import Runtime
from bot.logs import redact
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
