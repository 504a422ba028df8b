"""No member, row or chat holds up the dispatcher for the others (issue 12, rows 1-5)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import Self

import pytest
from apscheduler.schedulers import base as scheduler_base
from sqlalchemy import select

from bot import dispatcher as dispatcher_module
from bot.clock import ShiftableClock
from bot.domain.digest import MAX_DIGEST_ITEMS
from bot.domain.followups import AT_ONCE, SPACING, schedule_due_followups
from bot.domain.runtime import Runtime
from bot.domain.scheduling import SCHEDULE_FAULT_PAUSE
from handlers.context import NetcoachApplication
from simulator import SimUser, TelegramSimulator
from storage.crypto import blind_index
from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    ReviewPlacement,
)
from storage.users import get_user_by_telegram_id
from tests.support.harness import bot_against
from tests.support.members import add_member_with_much_due, add_members
from tests.support.statements import statements_run


async def test_a_thousand_follow_ups_due_at_one_moment_go_in_with_one_statement_each_kind(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    await add_member_with_much_due(runtime, 1, commitments=500, contacts=500)
    now = clock.now()
    with statements_run(runtime) as statements:
        assert await schedule_due_followups(runtime, limit=1000) == 1000
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO DELIVERIES")]
    assert len(inserts) == 2  # one for the follow-ups, one for the check-ins
    # Nobody's data is broken: one transaction, no savepoint per row.
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    async with runtime.sessions() as session:
        rows = list((await session.execute(select(Delivery))).scalars())
    # Keyed by what they are about and the moment they fell due: no free second searched.
    assert {row.slot_at for row in rows} == {now}
    assert len({row.commitment_id for row in rows if row.commitment_id}) == 500
    assert len({row.contact_id for row in rows if row.contact_id}) == 500
    # A few go at once, the rest a second apart: Telegram's pace for one chat.
    assert sorted(row.due_at for row in rows) == [now] * AT_ONCE + [
        now + n * SPACING for n in range(1, 1001 - AT_ONCE)
    ]


# A busy chat waits for its pace (about one a second) without holding up the others.
@pytest.mark.telegram_pace
async def test_a_member_with_hundreds_due_does_not_hold_up_the_others(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    busy = sim.user("Busy", language_code="de")
    others = [sim.user(f"Member {n}", language_code="de") for n in range(100)]
    await add_member_with_much_due(runtime, busy.id, commitments=200, contacts=100)
    await add_members(runtime, [m.id for m in others], next_prompt_at=clock.now())
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        dispatcher.kick()
        await dispatcher.idle()
        # Everyone due now got their prompt; the busy member's pings wait their turn, a
        # digest of the first few at a time.
        assert [len(m.messages) for m in others] == [1] * len(others)
        assert len(busy.messages) == 1
        assert f"{MAX_DIGEST_ITEMS} Punkte" in (busy.messages[0].text or "")
        # Its next rows fall due a second apart (after the first few): the next digest.
        clock.advance((MAX_DIGEST_ITEMS - AT_ONCE + 1) * SPACING)
        dispatcher.kick()
        await dispatcher.idle()
        assert len(busy.messages) == 2
        sent = [
            r for r in await _deliveries_of(runtime, busy.id) if r.status is DeliveryStatus.SENT
        ]
        assert len(sent) == 2 * MAX_DIGEST_ITEMS


async def _poisoned_member(runtime: Runtime, telegram_id: int) -> None:
    """A member whose stored time zone no longer exists, with a prompt and a follow-up due."""
    now = runtime.clock.now()
    await add_members(runtime, [telegram_id], next_prompt_at=now + timedelta(days=3))
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        assert user is not None
        user.timezone = "Mars/Olympus_Mons"
        commitment = Commitment(
            user_id=user.id,
            action="Anna anrufen",
            status=CommitmentStatus.OPEN,
            due_at=now,
            pings=1,
            renegotiations=0,
            created_at=now,
        )
        session.add(commitment)
        await session.flush()
        for kind, about in ((DeliveryKind.PROMPT, None), (DeliveryKind.FOLLOWUP, commitment.id)):
            session.add(
                Delivery(
                    user_id=user.id,
                    kind=kind,
                    slot_at=now,
                    status=DeliveryStatus.PENDING,
                    due_at=now,
                    attempts=0,
                    commitment_id=about,
                    created_at=now,
                )
            )


async def _deliveries_of(runtime: Runtime, telegram_id: int) -> list[Delivery]:
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        assert user is not None
        query = select(Delivery).where(Delivery.user_id == user.id).order_by(Delivery.id)
        return list((await session.execute(query)).scalars())


async def test_a_row_that_cannot_be_shown_waits_while_everyone_else_gets_theirs(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    others = [sim.user(f"Member {n}", language_code="de") for n in range(20)]
    poisoned = sim.user("Poisoned", language_code="de")
    await add_members(runtime, [m.id for m in others[:10]], next_prompt_at=clock.now())
    await _poisoned_member(runtime, poisoned.id)
    await add_members(runtime, [m.id for m in others[10:]], next_prompt_at=clock.now())
    caplog.set_level(logging.WARNING, logger="netcoach")
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        dispatcher.kick()
        await dispatcher.idle()
        assert [len(m.messages) for m in others] == [1] * len(others)
        assert poisoned.messages == []
        rows = await _deliveries_of(runtime, poisoned.id)
        # Failed for now, with the reason (no text) and a pause before the next try.
        assert [r.status for r in rows] == [DeliveryStatus.PENDING] * 2
        assert [r.last_error for r in rows] == [
            "load: ZoneInfoNotFoundError",
            "render: ZoneInfoNotFoundError",
        ]
        assert all(r.due_at > clock.now() and r.attempts == 1 for r in rows)
        faults = dispatcher.metrics.delivery_faults
        assert faults.labels("load", "ZoneInfoNotFoundError")._value.get() == 1
        assert faults.labels("render", "ZoneInfoNotFoundError")._value.get() == 1
        logged = [r.getMessage() for r in caplog.records if "failed for now" in r.getMessage()]
        assert len(logged) == 2 and not any("Anna" in line or "Mars" in line for line in logged)

        # Tried again after the pause; once the member's data is mended, it goes out.
        clock.advance(timedelta(minutes=1))
        dispatcher.kick()
        await dispatcher.idle()
        assert [r.attempts for r in await _deliveries_of(runtime, poisoned.id)] == [2, 2]
        async with runtime.sessions.begin() as session:
            user = await get_user_by_telegram_id(session, poisoned.id)
            assert user is not None
            user.timezone = "Europe/Berlin"
        clock.advance(timedelta(minutes=2))
        dispatcher.kick()
        await dispatcher.idle()
        # Both in one digest, recorded together.
        assert len(poisoned.messages) == 1
        rows = await _deliveries_of(runtime, poisoned.id)
        assert [r.status for r in rows] == [DeliveryStatus.SENT] * 2
        assert {r.telegram_message_id for r in rows} == {poisoned.messages[0].message_id}
        assert [len(m.messages) for m in others] == [1] * len(others)


async def _break(runtime: Runtime, telegram_id: int, **broken: object) -> None:
    """Write bad values straight into a member's row, as no screen of the bot would."""
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        assert user is not None
        for name, value in broken.items():
            setattr(user, name, value)


async def test_a_member_whose_stored_zone_or_slot_is_broken_does_not_stop_the_others(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = clock.now()
    others = [sim.user(f"Member {n}", language_code="de") for n in range(20)]
    keen, lost, odd = (sim.user(name, language_code="de") for name in ("Keen", "Lost", "Odd"))
    await add_members(runtime, [m.id for m in others[:10]], next_prompt_at=now)
    await add_member_with_much_due(runtime, lost.id, commitments=1, contacts=1)
    await add_members(runtime, [odd.id], next_prompt_at=now)
    await add_member_with_much_due(runtime, keen.id, commitments=1, contacts=1)
    await add_members(runtime, [m.id for m in others[10:]], next_prompt_at=now)
    # A zone the time zone database no longer knows, and a slot past midnight.
    await _break(runtime, lost.id, timezone="Mars/Olympus_Mons", next_prompt_at=now)
    await _break(runtime, odd.id, slot_minute=24 * 60 + 5)
    caplog.set_level(logging.WARNING, logger="netcoach")
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        dispatcher.kick()
        await dispatcher.idle()
        assert [len(m.messages) for m in others] == [1] * len(others)
        assert len(keen.messages) == 1  # a follow-up and a check-in, in one digest
        assert "2 Punkte" in (keen.messages[0].text or "")
        assert lost.messages == [] and odd.messages == []
        faults = dispatcher.metrics.delivery_faults
        # Lost's prompt, follow-up and check-in; Odd's prompt.
        assert faults.labels("schedule", "ZoneInfoNotFoundError")._value.get() == 3
        assert faults.labels("schedule", "ValueError")._value.get() == 1
        logged = [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
        assert logged and not any(
            word in line for line in logged for word in ("Mars", "Anruf", "Kontakt", "1445")
        )

        # Not tried again at every tick while the data stays broken.
        clock.advance(SCHEDULE_FAULT_PAUSE / 2)
        dispatcher.kick()
        await dispatcher.idle()
        assert faults.labels("schedule", "ZoneInfoNotFoundError")._value.get() == 3

        # Mended: the pause over, they are scheduled again; rows are made a digest window
        # ahead, so what was set aside waits the pause beyond that window.
        await _break(runtime, lost.id, timezone="Europe/Berlin")
        await _break(runtime, odd.id, slot_minute=9 * 60)
        clock.advance(SCHEDULE_FAULT_PAUSE / 2)
        dispatcher.kick()
        await dispatcher.idle()
        assert lost.messages == [] and odd.messages == []
        clock.advance(timedelta(minutes=runtime.settings.digest_window_minutes))
        dispatcher.kick()
        await dispatcher.idle()
        assert len(lost.messages) == 1 and len(odd.messages) == 1
        assert "3 Punkte" in (lost.messages[0].text or "")
        assert [len(m.messages) for m in others] == [1] * len(others)


async def test_a_chat_over_its_own_limit_waits_alone_while_the_others_get_theirs(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    limited, *others = [sim.user(f"Member {n}", language_code="de") for n in range(60)]
    await add_members(runtime, [limited.id], next_prompt_at=clock.now() - timedelta(minutes=1))
    await add_members(runtime, [m.id for m in others], next_prompt_at=clock.now())
    # As a group that had its share: Telegram asks for a wait longer than a lease keeps
    # a send in flight (a short one, so the test does not wait long for it).
    within_lease = dispatcher_module._WAIT_WITHIN_LEASE
    every = within_lease + 3
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        sim.limiter.limit_chat(limited.id, every=every)
        dispatcher.kick()
        await dispatcher.idle()
        # One 429, for that chat: it waits as long as Telegram said; nobody else waited.
        assert sim.stats.too_many_requests == 1
        assert [len(m.messages) for m in others] == [1] * len(others)
        assert limited.messages == []
        assert dispatcher.pacer.chat_held_for(limited.id) > 0
        (row,) = await _deliveries_of(runtime, limited.id)
        assert row.status is DeliveryStatus.PENDING and row.last_error == "send: RetryAfter"
        assert row.due_at > clock.now() + timedelta(seconds=within_lease)

        # The wait is over (on both clocks): the next tick sends it.
        await _until(lambda: dispatcher.pacer.chat_held_for(limited.id) == 0, limit=every + 5)
        clock.advance(timedelta(seconds=every))
        dispatcher.kick()
        await dispatcher.idle()
        assert len(limited.messages) == 1


async def _until(done: Callable[[], bool], limit: float = 60.0) -> None:
    """Wait until `done()` holds; bounded, so a dispatcher that never gets there fails."""
    for _ in range(int(limit / 0.05)):
        if done():
            return
        await asyncio.sleep(0.05)


async def _backlog_and_forty_due_now(
    sim: TelegramSimulator, runtime: Runtime, count: int
) -> tuple[SimUser, list[SimUser]]:
    """A member with a backlog of `count` follow-ups, and 40 members whose prompts are due now.

    The follow-ups fell due a second apart while the bot was down for ten minutes.
    """
    busy = sim.user("Busy", language_code="de")
    others = [sim.user(f"Member {n}", language_code="de") for n in range(40)]
    await add_member_with_much_due(runtime, busy.id, commitments=count, contacts=0)
    assert await schedule_due_followups(runtime, limit=count) == count
    runtime.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    await add_members(runtime, [m.id for m in others], next_prompt_at=runtime.clock.now())
    return busy, others


def _sent_to(sim: TelegramSimulator) -> list[int]:
    """The chats the bot's messages went to, in the order Telegram took them."""
    return [int(r.params["chat_id"]) for r in sim.requests_for("sendMessage") if r.ok]


@pytest.mark.telegram_pace
async def test_a_member_with_a_backlog_does_not_take_the_places_of_the_members_due_after(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    busy, others = await _backlog_and_forty_due_now(sim, runtime, 150)
    async with bot_against(sim, runtime) as app:
        app.bot_data.dispatcher.kick()
        await _until(lambda: len(busy.messages) >= 10 or all(m.messages for m in others))
    # Everyone else was served before the busy member's 10th message (one a second).
    order = _sent_to(sim)
    assert [len(m.messages) for m in others] == [1] * len(others)
    last_other = max(order.index(m.id) for m in others)
    assert order[:last_other].count(busy.id) < 10
    # And nothing went twice: what the busy member got is what the queue marked sent.
    rows = await _deliveries_of(runtime, busy.id)
    assert DeliveryStatus.SENDING not in {r.status for r in rows}
    sent = [r for r in rows if r.status is DeliveryStatus.SENT]
    assert {r.telegram_message_id for r in sent} == {m.message_id for m in busy.messages}


async def test_a_chat_telegram_holds_keeps_its_backlog_in_the_queue_not_in_flight(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    group, others = await _backlog_and_forty_due_now(sim, runtime, 30)
    sim.limiter.limit_chat(group.id, every=60)  # its share of this minute is used up
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        dispatcher.kick()
        await _until(lambda: all(m.messages for m in others))
        await _until(lambda: dispatcher.pacer.chat_held_for(group.id) > 0)
        await dispatcher.idle()
        # One 429 and the chat waits in the queue: no send of it sits in flight waiting
        # for the hold, where its lease could run out and it be sent twice.
        assert [len(m.messages) for m in others] == [1] * len(others)
        assert sim.stats.too_many_requests == 1 and group.messages == []
        rows = await _deliveries_of(runtime, group.id)
        assert {r.status for r in rows} == {DeliveryStatus.PENDING}
        # The one digest that met the 429 (its rows together), the rest not tried.
        assert sum(r.last_error == "send: RetryAfter" for r in rows) == MAX_DIGEST_ITEMS


async def _rows_of(runtime: Runtime, telegram_id: int) -> Delivery:
    (row,) = await _deliveries_of(runtime, telegram_id)
    return row


async def _tick_until_settled(runtime: Runtime, app: NetcoachApplication, rounds: int) -> None:
    """Tick `rounds` times, each after every lease and pause there could be has ended."""
    for _ in range(rounds):
        runtime.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        app.bot_data.dispatcher.kick()
        await app.bot_data.dispatcher.idle()


async def test_a_prompt_whose_answers_time_out_reaches_the_member_twice_at_most(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    kim = sim.user("Kim", language_code="de")
    await add_members(runtime, [kim.id], next_prompt_at=clock.now())
    # Telegram delivers every message but answers later than the bot waits (5 s).
    sim.faults.answer_late(6, methods="sendMessage")
    async with bot_against(sim, runtime) as app:
        app.bot_data.dispatcher.kick()
        await app.bot_data.dispatcher.idle()
        await _tick_until_settled(runtime, app, 3)
        assert len(kim.messages) == 2
        row = await _rows_of(runtime, kim.id)
        assert row.status is DeliveryStatus.SENT and row.telegram_message_id is None
        assert row.maybe_sent and row.last_error == "send: TimedOut twice"


async def test_a_timeout_in_an_earlier_lease_leaves_one_more_try(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    kim = sim.user("Kim", language_code="de")
    await add_members(runtime, [kim.id], next_prompt_at=clock.now())
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        # The first send times out and went out; the other tries of that lease meet
        # Telegram down, so the delivery goes back to the queue, marked.
        sim.faults.answer_late(6, methods="sendMessage")
        dispatcher.kick()
        await kim.next_message(timeout=30)
        sim.faults.answer_late(0, methods="sendMessage")
        sim.faults.fail_next(10, status=502, method="sendMessage")
        await dispatcher.idle()
        row = await _rows_of(runtime, kim.id)
        assert row.status is DeliveryStatus.PENDING and row.maybe_sent
        # A later lease: it times out again, and is not tried a third time.
        sim.faults.clear()
        sim.faults.answer_late(6, methods="sendMessage")
        await _tick_until_settled(runtime, app, 3)
        assert len(kim.messages) == 2
        assert (await _rows_of(runtime, kim.id)).status is DeliveryStatus.SENT


async def test_the_review_as_a_message_of_its_own_comes_once_when_the_prompt_must_wait(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dispatcher_module, "_BACKOFF_SECONDS", (0.0,) * 4)
    mara = sim.user("Mara", language_code="de")
    now = clock.now()
    await add_member_with_much_due(runtime, mara.id, commitments=0, contacts=0)
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, mara.id)
        assert user is not None
        user.review_placement = ReviewPlacement.SEPARATE
        user.next_prompt_at = now
        session.add(
            Contact(
                user_id=user.id,
                name="Anna",
                name_key=blind_index("anna", user.id),
                cadence_days=14,
                next_checkin_at=now + timedelta(days=3),
                checkin_pings=0,
                created_at=now,
            )
        )
    # Telegram takes the review, then cannot be reached for the prompt after it.
    sim.faults.fail_next(4, status=502, method="sendMessage", after=1)
    async with bot_against(sim, runtime) as app:
        app.bot_data.dispatcher.kick()
        await app.bot_data.dispatcher.idle()
        assert [m.buttons == [] for m in mara.messages] == [True]
        sim.faults.clear()
        await _tick_until_settled(runtime, app, 3)
        texts = [m.text or "" for m in mara.messages]
        assert len(texts) == 2 and texts[0].startswith("Dein Wochenrückblick")
        assert "Wochenrückblick" not in texts[1] and mara.messages[1].buttons
        row = await _rows_of(runtime, mara.id)
        assert row.status is DeliveryStatus.SENT and row.lead_in_sent


async def test_through_an_hour_and_a_half_of_telegram_down_nothing_is_given_up(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pauses between tries within one lease are not the story (they are seconds).
    monkeypatch.setattr(dispatcher_module, "_BACKOFF_SECONDS", (0.0,) * 4)
    members = [sim.user(f"Member {n}", language_code="de") for n in range(5)]
    await add_members(runtime, [m.id for m in members], next_prompt_at=clock.now())
    sim.faults.set_error_rate(1.0, status=502, methods="sendMessage")
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        tries = []
        for _ in range(18):  # every five minutes for an hour and a half
            before = len(sim.requests_for("sendMessage"))
            dispatcher.kick()
            await dispatcher.idle()
            tries.append(len(sim.requests_for("sendMessage")) - before)
            clock.advance(timedelta(minutes=5))
        rows = [await _rows_of(runtime, m.id) for m in members]
        assert {r.status for r in rows} == {DeliveryStatus.PENDING}
        assert {r.last_error for r in rows} == {"send: NetworkError"}
        assert all(r.attempts == 0 and r.retries >= 6 for r in rows)
        # The first send to find Telegram away tried a few times (a blip passes), the
        # others once; after that, one try per delivery a lease, with growing pauses
        # (30 s up to 10 minutes), not at every tick.
        assert tries[0] <= 4 + 4
        assert set(tries[1:]) == {0, len(members)} and tries.count(len(members)) < 12

        sim.faults.clear()
        clock.advance(timedelta(minutes=10))
        dispatcher.kick()
        await dispatcher.idle()
        assert [len(m.messages) for m in members] == [1] * len(members)
        assert {(await _rows_of(runtime, m.id)).status for m in members} == {DeliveryStatus.SENT}


class _SteppedWallClock(datetime):
    """`datetime` as the scheduler reads it, with the machine's clock stepped by `step`."""

    step = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Self:
        return super().now(tz) + cls.step


async def test_the_dispatcher_keeps_ticking_when_the_wall_clock_steps_back_or_forward(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticking = replace(runtime, settings=runtime.settings.model_copy(update={"tick_seconds": 0.2}))
    monkeypatch.setattr(scheduler_base, "datetime", _SteppedWallClock)
    early, late = sim.user("Early", language_code="de"), sim.user("Late", language_code="de")
    started = clock.now()
    async with bot_against(sim, ticking):
        await asyncio.sleep(0.5)  # the scheduler's jobs have been planned
        # The machine's clock (as the scheduler reads it, and the bot's own) steps back.
        _SteppedWallClock.step = -timedelta(hours=1)
        clock.set(started - timedelta(hours=1))
        await add_members(runtime, [early.id], next_prompt_at=clock.now())
        await early.next_message(timeout=10)
        # And forward a day.
        _SteppedWallClock.step = timedelta(days=1)
        clock.set(started + timedelta(days=1))
        await add_members(runtime, [late.id], next_prompt_at=clock.now())
        await late.next_message(timeout=10)


async def test_a_tick_that_fails_is_logged_and_the_next_one_comes(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticking = replace(runtime, settings=runtime.settings.model_copy(update={"tick_seconds": 0.2}))
    kim = sim.user("Kim", language_code="de")
    caplog.set_level(logging.ERROR, logger="netcoach")
    async with bot_against(sim, ticking) as app:
        dispatcher = app.bot_data.dispatcher
        kick = dispatcher.kick
        failures = iter([RuntimeError("a tick that went wrong")])

        def kick_failing_once() -> None:
            for problem in failures:
                raise problem
            kick()

        monkeypatch.setattr(dispatcher, "kick", kick_failing_once)
        await _until(lambda: any(r.levelno == logging.ERROR for r in caplog.records), limit=10)
        await add_members(runtime, [kim.id], next_prompt_at=clock.now())
        await kim.next_message(timeout=10)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("netcoach")]
    assert logged == ["tick failed; ticking on"]
