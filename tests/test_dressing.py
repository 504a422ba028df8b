"""A Bot API server refusing what only dresses the bot (its menu) never keeps members waiting."""

from __future__ import annotations

import asyncio
import logging
from itertools import pairwise

import pytest

from bot.domain.runtime import Runtime
from bot.runner import running_bot
from simulator import ESSENTIAL_METHODS, TelegramSimulator
from tests.support.harness import chat
from tests.support.processes import wait_until

PRIVATE_CHATS = {"type": "all_private_chats"}


def _menu_calls(sim: TelegramSimulator, status: int) -> int:
    return sum(1 for call in sim.requests_for("setMyCommands") if call.status == status)


@pytest.mark.parametrize("refusal", [404, 500])
async def test_members_get_answers_from_a_bot_api_that_knows_only_the_essential_methods(
    sim: TelegramSimulator, runtime: Runtime, caplog: pytest.LogCaptureFixture, refusal: int
) -> None:
    # As a Bot API server that does not know (404) or keeps failing (500) everything else.
    sim.faults.answer_only(ESSENTIAL_METHODS, status=refusal)
    caplog.set_level(logging.DEBUG, logger="netcoach.dressing")
    async with running_bot(
        runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1, dressing_first_retry=0.05
    ):
        nora = sim.user("Nora", language_code="de")
        welcome, _ = await chat(nora, "/start", replies=2)
        assert "Hallo Nora" in (welcome.text or "")
        (help_text,) = await chat(nora, "/help")
        assert "So arbeiten wir zusammen" in (help_text.text or "")

        # Meanwhile the menu is tried again and again, in the background.
        await wait_until(lambda: _menu_calls(sim, refusal) >= 4, timeout=10)
        assert sim.commands(PRIVATE_CHATS, "de") == []

        # The server learns the method: the menu is set, once, and left alone.
        sim.faults.answer_only(None)
        await wait_until(lambda: sim.commands(PRIVATE_CHATS, "de"), timeout=10)
        await wait_until(lambda: sim.commands(PRIVATE_CHATS, ""), timeout=5)
        await asyncio.sleep(0.5)
        assert _menu_calls(sim, 200) == 3  # German, English and the default, once each
        assert [c["command"] for c in sim.commands(PRIVATE_CHATS, "en")][:2] == ["start", "next"]

    refused = [r for r in sim.requests if r.status != 200]
    dressing = {"setMyCommands", "setMyDescription", "setMyShortDescription"}
    assert {r.method for r in refused} <= {"deleteWebhook", *dressing}
    failures = [r for r in caplog.records if r.name == "netcoach.dressing" and r.levelno >= 30]
    # Logged once per call, not at every attempt (no admins here: no admins' menu).
    assert sorted(r.getMessage().split(" (")[0] for r in failures) == [
        "could not set the command menu",
        "could not set the description",
    ]


async def test_a_refused_menu_is_tried_again_with_growing_pauses(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    sim.faults.answer_only(ESSENTIAL_METHODS, status=404)
    async with running_bot(
        runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1, dressing_first_retry=0.1
    ):
        await wait_until(lambda: _menu_calls(sim, 404) >= 4, timeout=10)
    attempts = [call.at for call in sim.requests_for("setMyCommands")]
    pauses = [later - earlier for earlier, later in pairwise(attempts)]
    # At least 0.1 s, then 0.2 s, then 0.4 s: doubling (up to an hour in production). A
    # busy machine only makes a pause longer, so each is held to its least.
    assert len(pauses) >= 3
    assert all(pause >= 0.1 * 2**n for n, pause in enumerate(pauses))
