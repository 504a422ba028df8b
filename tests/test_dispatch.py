"""A few hundred members share a slot: each gets exactly one prompt, paced under the ceiling."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from simulator import TelegramSimulator
from storage.models import Delivery, DeliveryStatus, User, UserStatus
from tests.support.conformance import assert_requests_conform
from tests.support.harness import bot_against
from tests.support.members import add_members

CEILING = 40


async def test_members_sharing_a_slot_get_one_prompt_each_without_a_single_429(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    paced = replace(
        runtime,
        settings=runtime.settings.model_copy(update={"max_messages_per_second": CEILING}),
    )
    async with TelegramSimulator(global_rate=CEILING) as sim:
        members = [sim.user(f"Member {n}", language_code="de") for n in range(240)]
        blocked = members[::24]  # ten of them blocked the bot long ago
        for member in blocked:
            member.block()
        await add_members(runtime, [m.id for m in members], next_prompt_at=clock.now())

        async with bot_against(sim, paced) as app:
            dispatcher = app.bot_data.dispatcher
            started = time.monotonic()
            dispatcher.kick()
            await dispatcher.idle()
            elapsed = time.monotonic() - started

            reachable = [m for m in members if m not in blocked]
            assert [len(m.messages) for m in reachable] == [1] * len(reachable)
            assert all(not m.messages for m in blocked)
            assert sim.stats.too_many_requests == 0
            assert sim.stats.max_per_second <= CEILING
            # 230 sends at 40/s cannot take less than ~5.7 s; pacing really happened.
            assert elapsed >= (len(reachable) - CEILING) / CEILING

            # A week later: the reachable members get their next prompt, the blocked
            # ones are not tried again.
            forbidden_before = sim.stats.forbidden
            clock.advance(timedelta(days=7))
            dispatcher.kick()
            await dispatcher.idle()
            assert [len(m.messages) for m in reachable] == [2] * len(reachable)
            # Telegram told the bot about most blocks (my_chat_member) before the slot; the
            # rest answered 403 once. Either way none is tried again.
            assert sim.stats.forbidden == forbidden_before <= len(blocked)
        assert_requests_conform(sim)

    async with runtime.sessions() as session:
        users = {u.telegram_id: u for u in (await session.execute(select(User))).scalars()}
        statuses = [d.status for d in (await session.execute(select(Delivery))).scalars()]
    assert {users[m.id].status for m in blocked} == {UserStatus.BLOCKED}
    assert all(users[m.id].next_prompt_at is None for m in blocked)
    # Deliveries for blocked members were either refused (403) or cancelled unsent.
    assert set(statuses) <= {DeliveryStatus.SENT, DeliveryStatus.BLOCKED, DeliveryStatus.CANCELLED}
    assert statuses.count(DeliveryStatus.SENT) == 2 * (len(members) - len(blocked))


async def test_a_blocked_member_who_starts_again_is_active_and_scheduled(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    kim = sim.user("Kim", language_code="en")
    kim.block()
    await add_members(runtime, [kim.id], next_prompt_at=clock.now(), language="en")
    async with bot_against(sim, runtime) as app:
        app.bot_data.dispatcher.kick()
        await app.bot_data.dispatcher.idle()
        kim.unblock()
        await kim.send("/start")
        overview = await kim.next_message()
        assert "Next prompt: Thu, 3 Dec, 09:00" in (overview.text or "")
    async with runtime.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.status is UserStatus.ACTIVE
