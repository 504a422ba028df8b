"""Follow-ups and check-ins as data: scheduling rules, claims, contacts and cadences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ShiftableClock
from bot.domain import commitment_actions, commitments, contacts
from bot.domain.contacts import parse_cadence
from bot.domain.digest import Digest
from bot.domain.followups import CheckIn, FollowUp, schedule_due_followups
from bot.domain.members import Identity
from bot.domain.prompts import Outcome, Outgoing, SendOutcome, claim_deliveries, record_outcomes
from bot.domain.quiet_hours import parse_quiet_hours
from bot.domain.runtime import Runtime
from storage.crypto import blind_index
from storage.models import Contact, Delivery, DeliveryKind, DeliveryStatus
from tests.support.contacts import cadence_saying_yes, commit_saying_yes, met_saying_yes
from tests.support.members import add_members

LEASE = timedelta(minutes=2)
LATER = datetime(2030, 1, 1, tzinfo=UTC)


async def _member(runtime: Runtime, telegram_id: int = 1, language: str = "de") -> Identity:
    await add_members(runtime, [telegram_id], language=language, next_prompt_at=LATER)
    return Identity(telegram_id, telegram_id, language)


async def _send_all(runtime: Runtime) -> list[Outgoing]:
    """Claim what is due and record it as sent, as the dispatcher would (digests unpacked)."""
    sends = await claim_deliveries(runtime, 10, LEASE)
    items = [i for send in sends for i in (send.items if isinstance(send, Digest) else (send,))]
    await record_outcomes(runtime, [SendOutcome(i.delivery_id, Outcome.SENT, 1) for i in items])
    return items


async def _deliveries(runtime: Runtime) -> list[Delivery]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def test_two_commitments_due_at_the_same_moment_get_a_follow_up_each(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    who = await _member(runtime)
    await commit_saying_yes(runtime, who, "Anna anrufen in 2 Minuten")
    await commit_saying_yes(runtime, who, "Ben schreiben in 2 Minuten")
    clock.advance(timedelta(minutes=2))
    assert await schedule_due_followups(runtime) == 2
    # One send for the member: both in one digest (their chat takes one message at a time).
    (digest,) = await claim_deliveries(runtime, 10, LEASE)
    assert isinstance(digest, Digest)
    items = list(digest.items)
    assert sorted(i.contact for i in items if isinstance(i, FollowUp)) == ["Anna", "Ben"]
    # Both are keyed by their commitment and the moment they fell due.
    assert len({(d.commitment_id, d.slot_at) for d in await _deliveries(runtime)}) == 2
    assert await schedule_due_followups(runtime) == 0  # the next ping waits two days


async def test_a_follow_up_closed_between_scheduling_and_sending_is_cancelled(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    who = await _member(runtime)
    step = await commit_saying_yes(runtime, who, "Anna anrufen in 2 Minuten")
    assert step is not None and step.created is not None
    clock.advance(timedelta(minutes=3))
    await schedule_due_followups(runtime)
    assert await commitment_actions.release(runtime, who, step.created.id) is not None
    assert await claim_deliveries(runtime, 10, LEASE) == []
    assert [d.status for d in await _deliveries(runtime)] == [DeliveryStatus.CANCELLED]


async def test_a_paused_member_s_follow_up_waits_for_the_end_of_the_pause(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    from bot.domain import availability

    who = await _member(runtime)
    await commit_saying_yes(runtime, who, "Anna anrufen in 2 Minuten")
    await availability.pause(runtime, who, "3 Tage")
    clock.advance(timedelta(minutes=3))
    await schedule_due_followups(runtime)
    assert await _deliveries(runtime) == []
    clock.advance(timedelta(days=3))
    await availability.resume(runtime, who)
    await schedule_due_followups(runtime)
    assert [d.kind for d in await _deliveries(runtime)] == [DeliveryKind.FOLLOWUP]


async def test_contacts_are_matched_case_insensitively_by_their_blind_index(
    runtime: Runtime,
) -> None:
    who = await _member(runtime)
    await commit_saying_yes(runtime, who, "Anna Schmidt anrufen bis Freitag")
    await met_saying_yes(runtime, who, "anna schmidt beim Kaffee")
    await contacts.set_cadence(runtime, who, "ANNA SCHMIDT alle 2 Wochen")  # known: no question
    async with runtime.sessions() as session:
        (contact,) = (await session.execute(select(Contact))).scalars()
    assert contact.name == "Anna Schmidt"
    assert contact.name_key == blind_index("anna schmidt", contact.user_id)
    assert contact.cadence_days == 14
    listing = await contacts.list_contacts(runtime, who)
    assert listing is not None
    (line,) = listing.contacts
    assert line.open_commitments == 1 and line.last_interaction_at is not None


async def test_a_check_in_comes_twice_at_most_and_the_next_round_a_cadence_later(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    who = await _member(runtime)
    await cadence_saying_yes(runtime, who, "Anna every 1 week")
    clock.advance(timedelta(weeks=1))
    await schedule_due_followups(runtime)
    (first,) = await _send_all(runtime)
    assert isinstance(first, CheckIn) and not first.reminder
    clock.advance(timedelta(days=2))
    await schedule_due_followups(runtime)
    (second,) = await _send_all(runtime)
    assert isinstance(second, CheckIn) and second.reminder
    clock.advance(timedelta(days=6))
    await schedule_due_followups(runtime)
    assert await _send_all(runtime) == []
    clock.advance(timedelta(days=1))
    await schedule_due_followups(runtime)
    assert len(await _send_all(runtime)) == 1


async def test_renegotiating_before_the_due_date_counts_as_on_time(
    runtime: Runtime, clock: ShiftableClock
) -> None:
    who = await _member(runtime, language="en")
    step = await commit_saying_yes(runtime, who, "call Ben by Friday")
    assert step is not None and step.created is not None
    await commitment_actions.renegotiate(runtime, who, step.created.id)
    moved = await commitments.answer_text(runtime, who, "next Tuesday")
    assert moved is not None and moved.moved is not None
    assert moved.moved.due_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    listing = await commitments.list_open(runtime, who)
    assert listing is not None and (listing.kept, listing.decided) == (1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna every 4 weeks", ("Anna", 28)),
        ("Anna alle 4 Wochen", ("Anna", 28)),
        ("Anna Schmidt alle zwei Wochen", ("Anna Schmidt", 14)),
        ("Ben every 10 days", ("Ben", 10)),
        ("Ben jeden Monat", ("Ben", 30)),
        ("Ben every month", ("Ben", 30)),
        ("Anna aus", ("Anna", None)),
        ("Anna off", ("Anna", None)),
        ("Anna", None),
        ("Anna ab und zu", None),
        ("Anna every 400 days", None),
    ],
)
def test_cadences_are_read_in_german_and_english(
    text: str, expected: tuple[str, int | None] | None
) -> None:
    assert parse_cadence(text) == expected


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("utc", "zone", "held_until"),
    [
        (_utc(26, 21, 30), "Europe/Berlin", _utc(27, 6)),  # 22:30 -> 07:00 next morning
        (_utc(26, 5, 59), "Europe/Berlin", _utc(26, 6)),  # 06:59 -> 07:00
        (_utc(26, 6), "Europe/Berlin", None),  # 07:00 sharp
        (_utc(26, 20, 59), "Europe/Berlin", None),  # 21:59
        (_utc(27, 3), "America/New_York", _utc(27, 12)),  # 22:00 in New York
        (_utc(27, 13), "America/New_York", None),  # 08:00
    ],
)
def test_quiet_hours_hold_until_seven_local_time(
    utc: datetime, zone: str, held_until: datetime | None
) -> None:
    assert parse_quiet_hours("22:00-07:00").held_until(utc, zone) == held_until


def test_quiet_hours_can_be_switched_off_or_moved() -> None:
    now = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
    assert parse_quiet_hours("off").held_until(now, "UTC") is None
    assert parse_quiet_hours("13:00-15:00").held_until(now, "UTC") is None
    with pytest.raises(ValueError, match="22:00-07:00"):
        parse_quiet_hours("late")


@pytest.mark.parametrize("nonsense", ["25:99-07:00", "22:00-24:00", "22:60-07:00", "22:00", "-"])
def test_quiet_hours_outside_the_clock_are_refused(nonsense: str) -> None:
    with pytest.raises(ValueError, match="hours 0-23, minutes 0-59"):
        parse_quiet_hours(nonsense)


def test_quiet_hours_that_end_where_they_start_are_refused_as_unclear() -> None:
    # Empty or all day? Neither is guessed; "off" says the first.
    with pytest.raises(ValueError, match="write off for none"):
        parse_quiet_hours("08:00-08:00")
