"""An operator who pays for broadcasts has the weekly prompts go out beyond the free ceiling.

With `NETCOACH_PAID_BROADCAST=true` weekly prompts go with `allow_paid_broadcast`, under
Telegram's 1,000 a second; a member's follow-ups and the bot's answers stay free, under
the free ceiling, and are never charged for.
"""

from __future__ import annotations

from dataclasses import replace

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from simulator import TelegramSimulator
from tests.support.conformance import assert_requests_conform
from tests.support.harness import bot_against, chat
from tests.support.members import add_member_with_much_due, add_members

FREE_CEILING = 5
CROWD = 150


async def test_weekly_prompts_go_as_paid_broadcasts_and_a_members_follow_ups_stay_free(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    paying = replace(
        runtime,
        settings=runtime.settings.model_copy(
            update={"max_messages_per_second": FREE_CEILING, "paid_broadcast": True}
        ),
    )
    async with TelegramSimulator(global_rate=FREE_CEILING) as sim:
        crowd = [sim.user(f"Member {n}", language_code="de") for n in range(CROWD)]
        await add_members(runtime, [m.id for m in crowd], next_prompt_at=clock.now())
        # Her commitments and check-ins fall due with everybody's weekly prompt.
        ida = sim.user("Ida", language_code="de")
        await add_member_with_much_due(runtime, ida.id, commitments=2, contacts=1)
        lea = sim.user("Lea", language_code="de")

        async with bot_against(sim, paying) as app:
            dispatcher = app.bot_data.dispatcher
            dispatcher.kick()
            (welcome,) = await chat(lea, "/start")
            await dispatcher.idle()

        assert [len(m.messages) for m in crowd] == [1] * CROWD
        assert ida.messages and welcome.text
        # Every weekly prompt paid, nothing else: not Ida's follow-ups, not Lea's welcome.
        assert sim.stats.paid_messages == CROWD
        assert sim.stats.sent_messages > CROWD
        assert sim.stats.too_many_requests == 0
        assert sim.stats.max_free_per_second <= FREE_CEILING
        # Well beyond what the free ceiling would have let through in a second.
        assert sim.stats.max_per_second > 2 * FREE_CEILING
        assert_requests_conform(sim)
