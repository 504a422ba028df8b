"""What Telegram shows around the chat: the text before Start, the profile, the menus.

A newcomer who opens the bot sees what it does before pressing Start, in their language;
admins find their commands in their own menu and nobody else sees them; the bot asks
Telegram only for the updates it handles.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.runtime import Runtime
from content.i18n import LANGUAGES, LOCALES_DIR, check_catalogs
from handlers.registry import ALLOWED_UPDATES
from simulator import TelegramSimulator
from tests.support.harness import bot_against, chat
from tests.support.processes import wait_until

PRIVATE_CHATS = {"type": "all_private_chats"}


def _commands(sim: TelegramSimulator, scope: dict[str, object], language: str) -> list[str]:
    return [command["command"] for command in sim.commands(scope, language)]


async def test_a_newcomer_reads_what_the_bot_does_before_pressing_start(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    async with bot_against(sim, runtime):
        await wait_until(lambda: sim.short_description(""), timeout=10)
    german, english = sim.description("de"), sim.description("en")
    assert "Impuls" in german and "Geben und Nehmen" in german and "/privacy" in german
    assert "prompt" in english and "give and take" in english and "/privacy" in english
    # Everyone else reads the operator's default language (German unless set otherwise).
    assert sim.description("") == german
    assert "Coach" in sim.short_description("de")
    assert "coach" in sim.short_description("en")


async def test_admins_find_their_commands_in_their_own_menu_and_members_never_see_them(
    sim: TelegramSimulator, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    ada, mia = sim.user("Ada", language_code="en"), sim.user("Mia", language_code="de")
    # Ada and Mia have written to the bot before; admin 424242 never has.
    for person in (ada, mia):
        await person.send("hi")
    admins = frozenset({ada.id, 424242})
    runtime = replace(runtime, settings=runtime.settings.model_copy(update={"admin_ids": admins}))
    caplog.set_level(logging.INFO, logger="netcoach")
    async with bot_against(sim, runtime):
        ada_chat = {"type": "chat", "chat_id": ada.id}
        await wait_until(lambda: sim.commands(ada_chat, ""), timeout=10)
        await wait_until(lambda: sim.commands(PRIVATE_CHATS, ""), timeout=10)
        # The admin without a chat gets theirs at a later start; the others are not held
        # up (the menus are set one after the other in the background, in no set order).
        await wait_until(
            lambda: any("no admin menu for 424242" in r.getMessage() for r in caplog.records),
            timeout=10,
        )

    for language in ("de", "en", ""):
        members = _commands(sim, PRIVATE_CHATS, language)
        assert "stats" not in members and "broadcast" not in members
        assert _commands(sim, ada_chat, language) == [*members, "stats", "broadcast"]
    english = {c["command"]: c["description"] for c in sim.commands(ada_chat, "en")}
    assert english["broadcast"] == "A message to every member (admins only)"
    assert sim.commands({"type": "chat", "chat_id": mia.id}, "") == []


async def test_the_bot_asks_only_for_the_updates_it_handles(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    nora = sim.user("Nora", language_code="de")
    async with bot_against(sim, runtime):
        welcome, _ = await chat(nora, "/start", replies=2)
        assert "Hallo Nora" in (welcome.text or "")
        # Messages (and their edits: a reflection follows its message), button presses
        # and being blocked or unblocked: nothing else (no channel posts, inline queries
        # or reactions) is sent to the bot at all.
        expected = {"message", "edited_message", "callback_query", "my_chat_member"}
        assert sim.allowed_updates == expected
        assert set(ALLOWED_UPDATES) == sim.allowed_updates


def test_the_content_check_refuses_a_description_longer_than_telegram_shows(
    tmp_path: Path,
) -> None:
    for language in LANGUAGES:
        shutil.copy(LOCALES_DIR / f"{language}.yaml", tmp_path)
    assert check_catalogs(tmp_path) == []
    english = tmp_path / "en.yaml"
    text = english.read_text(encoding="utf-8")
    long = "A coach for your network, " * 5  # 130 characters
    english.write_text(
        text.replace("bot.short_description: ", f'bot.short_description: "{long}" # ', 1),
        encoding="utf-8",
    )
    assert check_catalogs(tmp_path) == [
        "en.yaml: bot.short_description has 130 characters, Telegram allows 120"
    ]


async def test_a_slow_place_search_shows_typing_and_a_quick_answer_shows_nothing(
    sim: TelegramSimulator, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.domain import onboarding

    looked_up = onboarding.choose_timezone

    async def slowly(*args: object, **kwargs: object) -> onboarding.FlowOutcome:
        await asyncio.sleep(1.2)
        return await looked_up(*args, **kwargs)  # type: ignore[arg-type]

    lena = sim.user("Lena", language_code="de")
    async with bot_against(sim, runtime):
        await chat(lena, "/start", replies=2)
        before = len(lena.events)
        await chat(lena, "/timezone Europe/Berlin", replies=2)
        quick = [e.kind for e in lena.events[before:] if e.kind == "chat_action"]
        monkeypatch.setattr(onboarding, "choose_timezone", slowly)
        before = len(lena.events)
        await chat(lena, "/timezone Europe/Vienna", replies=2)
        done = [(e.kind, e.action) for e in lena.events[before:]]
    assert quick == []
    # "Lena is typing…" while the look-up lasts, then the answer.
    assert ("chat_action", "typing") in done
    assert done.index(("chat_action", "typing")) < done.index(("message", None))
