"""A dispatch of thousands while Telegram misbehaves: 5xx, slow answers, 429 storms, blocks."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from bot.runner import running_bot
from handlers.context import NetcoachApplication
from simulator import RecordedRequest, TelegramSimulator
from storage.models import Delivery, DeliveryStatus, User, UserStatus
from tests.support.conformance import assert_requests_conform
from tests.support.members import add_members

MEMBERS = 2000
BLOCKED_EVERY = 50  # 40 members blocked the bot without Telegram telling it
RATE = 300


async def _dispatch_until_settled(app: NetcoachApplication, runtime: Runtime) -> int:
    """Run the dispatcher; retries are due a minute later, so move the clock on for them."""
    assert isinstance(runtime.clock, ShiftableClock)
    dispatcher = app.bot_data.dispatcher
    for rounds in range(1, 6):
        dispatcher.kick()
        await dispatcher.idle()
        async with runtime.sessions() as session:
            open_rows = (
                await session.execute(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))
                )
            ).scalar_one()
        if not open_rows:
            return rounds
        runtime.clock.advance(timedelta(minutes=2))
    raise AssertionError("deliveries still open after five rounds")


# The faults are Telegram's, not the database's: one backend is enough (SQLite, the default).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_reachable_member_gets_one_prompt_while_telegram_fails_in_every_way(
    runtime: Runtime, clock: ShiftableClock, caplog: pytest.LogCaptureFixture
) -> None:
    fast = replace(
        runtime,
        settings=runtime.settings.model_copy(update={"max_messages_per_second": RATE}),
    )
    async with TelegramSimulator(global_rate=RATE + 100) as sim:
        members = [sim.user(f"Member {n}", language_code="de") for n in range(MEMBERS)]
        blocked = members[::BLOCKED_EVERY]
        await add_members(runtime, [m.id for m in members], next_prompt_at=clock.now())
        # Blocked while the bot was not listening: only a 403 tells it.
        for member in blocked:
            member.block()
        sim.faults.set_error_rate(0.05, status=502, methods="sendMessage")
        sim.faults.set_delay(0.05, methods="sendMessage")

        storm_started = False

        def storm_midway(_request: RecordedRequest) -> None:
            nonlocal storm_started
            if not storm_started and sim.stats.sent_messages >= MEMBERS // 3:
                storm_started = True
                sim.faults.rate_limit_storm(100, retry_after=1)

        sim.on_request(storm_midway)
        caplog.set_level(logging.WARNING)

        async with running_bot(
            fast, token=sim.token, base_url=sim.base_url, mode="dispatch"
        ) as app:
            rounds = await _dispatch_until_settled(app, runtime)
            first_week = Counter(sim.stats.sent_per_chat)
            first_week_requests = len(sim.requests_for("sendMessage"))

            # Later ticks find nothing more to send: the blocked are not tried again.
            sim.faults.clear()
            clock.advance(timedelta(hours=1))
            await _dispatch_until_settled(app, runtime)

        print(
            f"\n{MEMBERS} members, {len(blocked)} blocked; rounds: {rounds}; "
            f"5xx: {sim.stats.server_errors}, 429: {sim.stats.too_many_requests}, "
            f"403: {sim.stats.forbidden}, delivered: {sim.stats.sent_messages}"
        )
        assert storm_started and sim.stats.server_errors > 0 and sim.stats.too_many_requests > 0
        reachable = [m for m in members if m not in blocked]
        assert [first_week[m.id] for m in reachable] == [1] * len(reachable)
        assert sim.stats.sent_per_chat == first_week
        assert all(first_week[m.id] == 0 for m in blocked)
        # Each blocked member answered 403 exactly once (earlier tries may have met a 5xx or
        # the storm) and was never tried again.
        answers: dict[int, list[int]] = {m.id: [] for m in blocked}
        for request in sim.requests_for("sendMessage"):
            if request.params["chat_id"] in answers:
                answers[request.params["chat_id"]].append(request.status)
        assert all(
            statuses[-1] == 403 and statuses.count(403) == 1 for statuses in answers.values()
        )
        assert sim.stats.forbidden == len(blocked)
        assert len(sim.requests_for("sendMessage")) == first_week_requests
        assert_requests_conform(sim)

    async with runtime.sessions() as session:
        marked = set(
            (
                await session.execute(
                    select(User.telegram_id).where(User.status == UserStatus.BLOCKED)
                )
            )
            .scalars()
            .all()
        )
        assert marked == {m.id for m in blocked}
        statuses = dict(
            (
                await session.execute(
                    select(Delivery.status, func.count()).group_by(Delivery.status)
                )
            ).all()
        )
        assert statuses == {
            DeliveryStatus.SENT: len(reachable),
            DeliveryStatus.BLOCKED: len(blocked),
        }
    # The run never died: no failed dispatch run, no unhandled exception.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
