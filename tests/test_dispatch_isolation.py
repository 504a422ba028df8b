"""No member, row or chat holds up the dispatcher for the others (issue 12, rows 1-5)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain.followups import SPACING, schedule_due_followups
from bot.domain.runtime import Runtime
from simulator import TelegramSimulator
from storage.crypto import blind_index
from storage.models import Commitment, CommitmentStatus, Contact, Delivery
from storage.users import get_user_by_telegram_id
from tests.support.harness import bot_against
from tests.support.members import add_members
from tests.support.statements import statements_run


async def _busy_member(
    runtime: Runtime, telegram_id: int, *, commitments: int, contacts: int
) -> None:
    """A member whose commitments and check-ins all fall due now (quiet hours lined them up)."""
    now = runtime.clock.now()
    await add_members(runtime, [telegram_id], next_prompt_at=now + timedelta(days=3))
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        assert user is not None
        names = [f"Kontakt {number}" for number in range(contacts)]
        session.add_all(
            Contact(
                user_id=user.id,
                name=name,
                name_key=blind_index(name.lower(), user.id),
                cadence_days=30,
                next_checkin_at=now,
                checkin_pings=0,
                created_at=now,
            )
            for name in names
        )
        session.add_all(
            Commitment(
                user_id=user.id,
                action=f"Anruf Nummer {number}",
                status=CommitmentStatus.OPEN,
                due_at=now,
                followup_at=now,
                pings=0,
                renegotiations=0,
                created_at=now,
            )
            for number in range(commitments)
        )


async def test_a_thousand_follow_ups_due_at_one_moment_go_in_with_one_statement_each_kind(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    await _busy_member(runtime, 1, commitments=500, contacts=500)
    now = clock.now()
    with statements_run(runtime) as statements:
        assert await schedule_due_followups(runtime, limit=1000) == 1000
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO DELIVERIES")]
    assert len(inserts) == 2  # one for the follow-ups, one for the check-ins
    async with runtime.sessions() as session:
        rows = list((await session.execute(select(Delivery))).scalars())
    # Keyed by what they are about and the moment they fell due: no free second searched.
    assert {row.slot_at for row in rows} == {now}
    assert len({row.commitment_id for row in rows if row.commitment_id}) == 500
    assert len({row.contact_id for row in rows if row.contact_id}) == 500
    # They go a second apart, Telegram's pace for one chat.
    assert sorted(row.due_at for row in rows) == [now + n * SPACING for n in range(1000)]


async def test_a_member_with_hundreds_due_does_not_hold_up_the_others(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    busy = sim.user("Busy", language_code="de")
    others = [sim.user(f"Member {n}", language_code="de") for n in range(100)]
    await _busy_member(runtime, busy.id, commitments=200, contacts=100)
    await add_members(runtime, [m.id for m in others], next_prompt_at=clock.now())
    async with bot_against(sim, runtime) as app:
        dispatcher = app.bot_data.dispatcher
        dispatcher.kick()
        await dispatcher.idle()
        # Everyone due now got their prompt; the busy member's pings wait their turn.
        assert [len(m.messages) for m in others] == [1] * len(others)
        assert len(busy.messages) == 1
        clock.advance(2 * SPACING)
        dispatcher.kick()
        await dispatcher.idle()
        assert len(busy.messages) == 3
