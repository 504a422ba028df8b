"""Answers to follow-ups and check-ins: done, renegotiate, release, snooze, the ledger.

Every button names a commitment, contact or interaction; it is acted on only when that
row belongs to the member who pressed it, and only while it is still open. Otherwise
the caller gets None and answers neutrally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.commitments import COMMITMENT_FLOW, Ask, CommitmentView, view_of
from bot.domain.contacts import BalanceNote, balance_note, log_interaction
from bot.domain.members import Identity, Member, member_from_row
from bot.domain.runtime import Runtime
from bot.domain.undo import (
    Tap,
    UndoRef,
    commitment_before,
    ledger_before,
    remember_commitment_tap,
    remember_ledger_tap,
)
from storage.conversations import set_state
from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
    Exchange,
    Interaction,
    User,
)
from storage.owned import owned_row

__all__ = [
    "SNOOZE_DAYS",
    "ActionResult",
    "CheckInResult",
    "LedgerResult",
    "checkin_in_touch",
    "checkin_snooze",
    "checkin_stop",
    "mark_done",
    "record_exchange",
    "release",
    "renegotiate",
    "show_commitment",
    "snooze",
]

SNOOZE_DAYS = (1, 3, 7)
# Done later than this after the due moment is kept, but not on time (and not praised so).
LATE_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What a follow-up button did; `interaction_id` invites one ledger tap after Done."""

    member: Member
    now: datetime  # when it was done: a date in another year shows it
    commitment: CommitmentView
    interaction_id: int | None = None
    snoozed_until: datetime | None = None
    undo: UndoRef | None = None  # the tap, undoable for a few minutes (`bot.domain.undo`)
    on_time: bool = True  # Done: kept by the due moment (a day's grace), not late


@dataclass(frozen=True, slots=True)
class CheckInResult:
    """What a check-in button did."""

    member: Member
    now: datetime
    contact_id: int
    contact: str
    interaction_id: int | None = None
    snoozed_until: datetime | None = None
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class LedgerResult:
    """A recorded exchange, and a gentle note if the balance has tipped."""

    member: Member
    contact: str
    exchange: Exchange
    note: BalanceNote | None
    undo: UndoRef | None = None


async def _owned(
    session: AsyncSession, who: Identity, commitment_id: int, *, open_only: bool = True
) -> tuple[User, Commitment, Contact | None] | None:
    owned = await owned_row(session, who.telegram_id, Commitment, commitment_id)
    if owned is None:
        return None
    user, commitment = owned
    if open_only and commitment.status is not CommitmentStatus.OPEN:
        return None
    contact = await session.get(Contact, commitment.contact_id) if commitment.contact_id else None
    return user, commitment, contact


async def show_commitment(
    runtime: Runtime, who: Identity, commitment_id: int
) -> ActionResult | None:
    """An open commitment of the member's, to show with its buttons."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        owned = await _owned(session, who, commitment_id)
        if owned is None:
            return None
        user, commitment, contact = owned
        return ActionResult(member_from_row(user), now, view_of(commitment, contact))


def _close(
    commitment: Commitment, status: CommitmentStatus, now: datetime, *, on_time: bool | None
) -> None:
    """Close a commitment: nothing more is followed up."""
    commitment.status = status
    commitment.closed_at = now
    commitment.followup_at = None
    commitment.on_time = on_time


async def mark_done(runtime: Runtime, who: Identity, commitment_id: int) -> ActionResult | None:
    """Kept: close it, log the interaction (resetting the contact's cadence).

    Done more than `LATE_AFTER` after the due moment counts as kept late, not on time.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await _owned(session, who, commitment_id)
        if owned is None:
            return None
        user, commitment, contact = owned
        before = commitment_before(commitment, contact)
        on_time = commitment.on_time is not False and now - commitment.due_at <= LATE_AFTER
        _close(commitment, CommitmentStatus.DONE, now, on_time=on_time)
        interaction = None
        if contact is not None:
            interaction = await log_interaction(session, contact, now, commitment_id=commitment.id)
        interaction_id = interaction.id if interaction is not None else None
        undo = await remember_commitment_tap(
            session, commitment, contact, Tap.DONE, before, now, interaction_id
        )
        return ActionResult(
            member_from_row(user),
            now,
            view_of(commitment, contact),
            interaction_id=interaction_id,
            undo=undo,
            on_time=on_time,
        )


async def release(runtime: Runtime, who: Identity, commitment_id: int) -> ActionResult | None:
    """Let it go, without blame: closed, and not counted either way."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await _owned(session, who, commitment_id)
        if owned is None:
            return None
        user, commitment, contact = owned
        before = commitment_before(commitment, contact)
        _close(commitment, CommitmentStatus.RELEASED, now, on_time=None)
        undo = await remember_commitment_tap(session, commitment, contact, Tap.RELEASE, before, now)
        return ActionResult(member_from_row(user), now, view_of(commitment, contact), undo=undo)


async def snooze(
    runtime: Runtime, who: Identity, commitment_id: int, days: int
) -> ActionResult | None:
    """Ask again in 1, 3 or 7 days; once due, snoozing means it is no longer on time."""
    if days not in SNOOZE_DAYS:
        return None
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await _owned(session, who, commitment_id)
        if owned is None:
            return None
        user, commitment, contact = owned
        before = commitment_before(commitment, None)
        commitment.followup_at = now + timedelta(days=days)
        commitment.pings = 0
        if now >= commitment.due_at:
            commitment.on_time = False
        undo = await remember_commitment_tap(session, commitment, None, Tap.SNOOZE, before, now)
        return ActionResult(
            member_from_row(user),
            now,
            view_of(commitment, contact),
            snoozed_until=commitment.followup_at,
            undo=undo,
        )


async def renegotiate(runtime: Runtime, who: Identity, commitment_id: int) -> ActionResult | None:
    """Offer a message to forward to the contact, then wait for the new date."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await _owned(session, who, commitment_id)
        if owned is None:
            return None
        user, commitment, contact = owned
        await set_state(
            session,
            user.id,
            flow=COMMITMENT_FLOW,
            step=Ask.MOVE,
            data={"commitment_id": commitment.id},
            now=now,
        )
        return ActionResult(member_from_row(user), now, view_of(commitment, contact))


async def record_exchange(
    runtime: Runtime, who: Identity, interaction_id: int, exchange: str
) -> LedgerResult | None:
    """The one optional ledger tap after an interaction: I gave / I received / both."""
    try:
        chosen = Exchange(exchange)
    except ValueError:
        return None
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Interaction, interaction_id)
        if owned is None:
            return None
        user, interaction = owned
        if interaction.exchange is not None:
            return None  # one tap only
        contact = await session.get(Contact, interaction.contact_id)
        if contact is None:
            return None
        before = ledger_before(contact)
        interaction.exchange = chosen
        await session.flush()
        note = await balance_note(session, contact, now)
        undo = await remember_ledger_tap(session, interaction, contact, before, now)
        return LedgerResult(member_from_row(user), contact.name, chosen, note, undo)


async def checkin_in_touch(
    runtime: Runtime, who: Identity, contact_id: int
) -> CheckInResult | None:
    """ "We were in touch": log it, which restarts the cadence."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None or owned[1].cadence_days is None:
            return None
        user, contact = owned
        interaction = await log_interaction(session, contact, now)
        return CheckInResult(
            member_from_row(user), now, contact.id, contact.name, interaction_id=interaction.id
        )


async def checkin_snooze(
    runtime: Runtime, who: Identity, contact_id: int, days: int
) -> CheckInResult | None:
    """Ask about this contact again in 1, 3 or 7 days."""
    if days not in SNOOZE_DAYS:
        return None
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None or owned[1].cadence_days is None:
            return None
        user, contact = owned
        contact.next_checkin_at = now + timedelta(days=days)
        contact.checkin_pings = 0
        return CheckInResult(
            member_from_row(user),
            now,
            contact.id,
            contact.name,
            snoozed_until=contact.next_checkin_at,
        )


async def checkin_stop(runtime: Runtime, who: Identity, contact_id: int) -> CheckInResult | None:
    """No more check-ins for this contact (the cadence is removed)."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None or owned[1].cadence_days is None:
            return None
        user, contact = owned
        contact.cadence_days = None
        contact.next_checkin_at = None
        contact.checkin_pings = 0
        return CheckInResult(member_from_row(user), now, contact.id, contact.name, stopped=True)
