"""Operators: aggregate statistics and broadcasts, for admins only."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.domain.runtime import Runtime
from simulator import SimUser, TelegramSimulator
from tests.support.conformance import assert_requests_conform
from tests.support.harness import bot_against, chat, texts_until_quiet
from tests.support.members import add_members

ADMIN_ID = 4242


def _with_admin(runtime: Runtime) -> Runtime:
    settings = runtime.settings.model_copy(update={"admin_ids": frozenset({ADMIN_ID})})
    return replace(runtime, settings=settings)


async def _onboard(user: SimUser) -> None:
    await chat(user, "/start", replies=2)
    await chat(user, "/timezone Europe/Berlin", replies=2)
    await chat(user, "/schedule mo 09:00")


async def test_admin_commands_look_unknown_to_everyone_else(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    async with bot_against(sim, _with_admin(runtime)):
        eve = sim.user("Eve", language_code="en")
        (answer,) = await chat(eve, "/stats")
        (unknown,) = await chat(eve, "/frobnicate")
        assert answer.text == unknown.text
        (answer,) = await chat(eve, "/broadcast Free pizza for everyone")
        assert answer.text == unknown.text
        await eve.wait_callback_answer(await eve.press_forged(answer, "bc:send"))
        assert eve.callback_answers[-1].text == "This button is no longer active."
        assert await texts_until_quiet(eve) == []


async def test_an_admin_sees_aggregates_only(sim: TelegramSimulator, runtime: Runtime) -> None:
    async with bot_against(sim, _with_admin(runtime)):
        admin = sim.user("Olga", user_id=ADMIN_ID, language_code="de")
        members = [sim.user(f"M{n}", language_code="de") for n in range(3)]
        for member in members:
            await _onboard(member)
        await chat(members[0], "/next")
        await chat(members[0], "/reflect Geheimer Gedanke über Paul")
        await chat(members[1], "/pause")
        (stats,) = await chat(admin, "/stats")
    text = stats.text or ""
    assert "Mitglieder: 4 (aktiv 3, pausiert 1, blockiert 0)" in text
    assert "Diese Woche aktiv (Notiz, Vorhaben oder Kontakt): 1" in text
    assert "Notizen pro Woche, neueste zuerst: 1 · 0 · 0 · 0" in text
    assert "Paul" not in text and "Geheimer" not in text


async def test_a_broadcast_is_previewed_then_sent_once_to_every_active_member(
    runtime: Runtime,
) -> None:
    paced = _with_admin(runtime)
    paced = replace(
        paced, settings=paced.settings.model_copy(update={"max_messages_per_second": 20})
    )
    async with TelegramSimulator(global_rate=20) as sim, bot_against(sim, paced) as app:
        admin = sim.user("Olga", user_id=ADMIN_ID, language_code="en")
        members = [sim.user(f"M{n}", language_code="de") for n in range(30)]
        # Onboarded already (onboarding has stories of its own).
        await add_members(paced, [m.id for m in members])
        await chat(members[0], "/pause")

        (usage,) = await chat(admin, "/broadcast")
        assert "/broadcast" in (usage.text or "")
        (preview,) = await chat(admin, "/broadcast Treffen am <Samstag> um 11 Uhr")
        assert "recipients: 29" in (preview.text or "")
        assert "Treffen am <Samstag> um 11 Uhr" in (preview.text or "")
        await admin.press(preview, "Cancel")
        await admin.next_event()
        assert await texts_until_quiet(members[1]) == []

        (preview,) = await chat(admin, "/broadcast Treffen am <Samstag> um 11 Uhr")
        # A reply may have met a 429 (replies are retried); the broadcast itself must not.
        floods_before = sim.stats.too_many_requests
        await admin.press(preview, "Send to 29")
        await app.bot_data.dispatcher.idle()
        app.bot_data.dispatcher.kick()
        await app.bot_data.dispatcher.idle()

        # Everyone active gets it (paced at 20 a second), then nothing more; the member
        # who paused gets nothing at all.
        got = await asyncio.gather(*(member.next_message(timeout=30) for member in members[1:]))
        assert all("Nachricht vom Netzwerk" in (message.text or "") for message in got)
        assert "<Samstag>" in (got[0].text or "")
        extra = await asyncio.gather(*(texts_until_quiet(member) for member in members))
        assert extra == [[] for _ in members]
        assert sim.stats.too_many_requests == floods_before
        # A second press (a stale client still showing the button) sends nothing more.
        await admin.wait_callback_answer(await admin.press_forged(preview, "bc:send"))
        app.bot_data.dispatcher.kick()
        await app.bot_data.dispatcher.idle()
        assert [await texts_until_quiet(member) for member in members[1:3]] == [[], []]
        assert_requests_conform(sim)
