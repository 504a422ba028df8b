"""Follow-ups and check-ins as delivery rows: scheduling them and reading them back to send.

The database is the schedule here too. A commitment's `followup_at` and a contact's
`next_checkin_at` are indexed; each dispatcher run claims the due ones, turns them into
pending delivery rows (kind FOLLOWUP, REMINDER or CHECKIN) and moves the moment on. The
dispatcher then leases and sends those rows like prompts, with the same lease, retry and
rate-limit guarantees.

Rules: quiet hours (local, `NETCOACH_QUIET_HOURS`) hold a due moment until they end; an
unanswered follow-up is repeated once after two days and then left alone, so one due
moment never gets more than two pings. A row whose commitment was closed or deleted (or
whose contact no longer has a cadence) is cancelled instead of sent, and so is one
answered meanwhile in another way (snoozed, moved, the contact met).

Rows are made up to the digest window (`NETCOACH_DIGEST_WINDOW_MINUTES`) before their
moment, due at that moment: what else falls due for the member by then takes them along
in one digest; alone, they go at their moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.memory import Note
from bot.domain.quiet_hours import QuietHours, parse_quiet_hours
from bot.domain.runtime import Runtime
from bot.domain.scheduling import RowGuard, ScheduleFault, schedule_isolated
from content.cards import Card, Curriculum
from storage.commitments import claim_due_followups, postpone_followup
from storage.contacts import claim_due_checkins, postpone_checkin
from storage.deliveries import DeliveryAbout, add_deliveries_about, latest_pending_due
from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
    Delivery,
    DeliveryKind,
    User,
    UserStatus,
)

__all__ = [
    "AT_ONCE",
    "FOLLOWUP_KINDS",
    "MAX_PINGS",
    "REPEAT_AFTER",
    "SPACING",
    "CheckIn",
    "FollowUp",
    "outgoing_for",
    "pause_holds_until",
    "schedule_due_followups",
]

FOLLOWUP_KINDS = (DeliveryKind.FOLLOWUP, DeliveryKind.REMINDER, DeliveryKind.CHECKIN)
# An unanswered follow-up is asked once more after this long, and then never again.
REPEAT_AFTER = timedelta(days=2)
MAX_PINGS = 2
# A paused member's follow-ups wait; this is how often the dispatcher looks again.
_PAUSED_RETRY = timedelta(days=1)
# A member's first few follow-ups and check-ins due together may go at once (the pacer still
# keeps them a second apart in the chat); the rest fall due this far apart (Telegram's pace
# for one chat), so a member with hundreds due never fills the sends in flight.
AT_ONCE = 5
SPACING = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A commitment fell due: everything needed to ask about it."""

    delivery_id: int
    chat_id: int
    language: str
    timezone: str
    commitment_id: int
    action: str
    contact: str | None
    due_at: datetime
    reminder: bool
    # When the delivery fell due (its slot), which is not the commitment's due moment.
    slot_at: datetime
    # An earlier send may have reached the member (it timed out): one more try at most.
    maybe_sent: bool = False
    # When the member made the commitment, and the card they made it from (if any).
    made_at: datetime | None = None
    card: Card | None = None

    @property
    def kind(self) -> DeliveryKind:
        """The delivery's kind: the first ask or its one reminder."""
        return DeliveryKind.REMINDER if self.reminder else DeliveryKind.FOLLOWUP


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A contact's stay-in-touch cadence has passed."""

    delivery_id: int
    chat_id: int
    language: str
    timezone: str
    contact_id: int
    contact: str
    cadence_days: int
    last_interaction_at: datetime | None
    reminder: bool
    # When the delivery fell due (its slot).
    slot_at: datetime
    # An earlier send may have reached the member (it timed out): one more try at most.
    maybe_sent: bool = False
    # The last note the member wrote about the contact (see `bot.domain.memory`).
    note: Note | None = None

    @property
    def kind(self) -> DeliveryKind:
        """The delivery's kind: the first nudge or its one reminder."""
        return DeliveryKind.REMINDER if self.reminder else DeliveryKind.CHECKIN


def pause_holds_until(user: User, now: datetime) -> datetime:
    """Until when a paused member's pings wait: the end of the pause, or a day (then again)."""
    return user.paused_until or now + _PAUSED_RETRY


def _held(user: User, now: datetime, quiet: QuietHours) -> datetime | None:
    """Until when a ping to this member must wait (None: send now)."""
    if user.status is UserStatus.PAUSED:
        return pause_holds_until(user, now)
    return quiet.held_until(now, user.timezone or "UTC")


async def schedule_due_followups(
    runtime: Runtime, limit: int = 500, on_fault: Callable[[ScheduleFault], object] | None = None
) -> int:
    """Turn due follow-ups and check-ins into pending deliveries; return how many were handled.

    Each delivery is keyed by its commitment or contact and its moment, and all of them
    go in with one statement per kind of subject, however many are due at once. Those due
    within the digest window are made now, due at their moment. A row that cannot be
    scheduled (its member's stored zone is unknown) is set aside for a while (see
    `schedule_isolated`); `on_fault` hears of it.
    """
    now = runtime.clock.now()
    quiet = parse_quiet_hours(runtime.settings.quiet_hours)
    ahead = digest_window(runtime)

    async def batch(session: AsyncSession, guard: RowGuard) -> int:
        commitments = await claim_due_followups(session, now + ahead, limit)
        contacts = await claim_due_checkins(session, now + ahead, limit)
        users = await _users_by_id(
            session, {c.user_id for c in commitments} | {c.user_id for c in contacts}
        )
        due: list[DeliveryAbout | None] = []
        for commitment in commitments:
            step = _followup_due(commitment, users[commitment.user_id], now, quiet)
            due.append(await guard.row("commitment", commitment, postpone_followup, step))
        for contact in contacts:
            step = _checkin_due(contact, users[contact.user_id], now, quiet)
            due.append(await guard.row("contact", contact, postpone_checkin, step))
        spaced = await _spaced(session, [item for item in due if item is not None], now)
        await add_deliveries_about(session, spaced, now=now)
        return len(commitments) + len(contacts)

    return await schedule_isolated(runtime, batch, on_fault, ahead=ahead)


def digest_window(runtime: Runtime) -> timedelta:
    """How far ahead what falls due is made into rows, to go out with what is due now."""
    return timedelta(minutes=runtime.settings.digest_window_minutes)


def _moment(due: datetime | None, now: datetime) -> datetime:
    """When a claimed row falls due: its own moment, or now if that has passed."""
    return now if due is None or due < now else due


async def _followup_due(
    commitment: Commitment, user: User, now: datetime, quiet: QuietHours
) -> DeliveryAbout | None:
    """What a due commitment gets (None: nothing yet), moving its next moment on."""
    if (
        commitment.status is not CommitmentStatus.OPEN
        or user.status is UserStatus.BLOCKED
        or commitment.pings >= MAX_PINGS
    ):
        commitment.followup_at = None
        return None
    moment = _moment(commitment.followup_at, now)
    held = _held(user, moment, quiet)
    if held is not None:
        commitment.followup_at = held
        return None
    reminder = commitment.pings > 0
    if reminder and commitment.on_time is None:
        commitment.on_time = False  # two days without an answer: no longer on time
    commitment.pings += 1
    commitment.followup_at = moment + REPEAT_AFTER if commitment.pings < MAX_PINGS else None
    kind = DeliveryKind.REMINDER if reminder else DeliveryKind.FOLLOWUP
    return DeliveryAbout(commitment.user_id, kind, moment, commitment_id=commitment.id)


async def _checkin_due(
    contact: Contact, user: User, now: datetime, quiet: QuietHours
) -> DeliveryAbout | None:
    """What a due contact gets (None: nothing yet), moving its next check-in on."""
    if contact.cadence_days is None or user.status is UserStatus.BLOCKED:
        contact.next_checkin_at = None
        return None
    moment = _moment(contact.next_checkin_at, now)
    held = _held(user, moment, quiet)
    if held is not None:
        contact.next_checkin_at = held
        return None
    if contact.checkin_pings > 0:
        # Left alone after two pings; the next round starts a full cadence later.
        contact.checkin_pings = 0
        contact.next_checkin_at = moment + timedelta(days=contact.cadence_days)
        return DeliveryAbout(contact.user_id, DeliveryKind.REMINDER, moment, contact_id=contact.id)
    contact.checkin_pings = 1
    contact.next_checkin_at = moment + REPEAT_AFTER
    return DeliveryAbout(contact.user_id, DeliveryKind.CHECKIN, moment, contact_id=contact.id)


async def _spaced(
    session: AsyncSession, due: list[DeliveryAbout], now: datetime
) -> list[DeliveryAbout]:
    """The same deliveries, a member's beyond the first `AT_ONCE` a `SPACING` apart.

    A member who still has some pending starts after the last of those. Each keeps the
    moment it fell due as its slot.
    """
    if not due:
        return due
    latest = await latest_pending_due(session, {item.user_id for item in due}, now)
    counts: dict[int, int] = {}
    spaced = []
    for item in due:
        number = counts.get(item.user_id, 0)
        counts[item.user_id] = number + 1
        pending = latest.get(item.user_id)
        if pending is not None and pending > max(now, item.due_at):
            moment = pending + SPACING * (number + 1)
        else:
            moment = item.due_at + SPACING * max(0, number - AT_ONCE + 1)
        spaced.append(replace(item, due_at=moment, slot_at=item.due_at))
    return spaced


# A follow-up row counts its commitment's pings up to this when it is made.
_PINGS_SENT_BY = {DeliveryKind.FOLLOWUP: 1, DeliveryKind.REMINDER: MAX_PINGS}


def _checkin_answered(contact: Contact, delivery: Delivery) -> bool:
    """The member was in touch, snoozed or changed the cadence since the row was made."""
    if (
        contact.last_interaction_at is not None
        and contact.last_interaction_at > delivery.created_at
    ):
        return True
    # A first nudge counts the contact's pings up to one; an answer sets them back to 0.
    return delivery.kind is DeliveryKind.CHECKIN and contact.checkin_pings == 0


async def _users_by_id(session: AsyncSession, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = await session.execute(select(User).where(User.id.in_(ids)))
    return {user.id: user for user in rows.scalars()}


async def outgoing_for(
    session: AsyncSession, delivery: Delivery, user: User, curriculum: Curriculum
) -> FollowUp | CheckIn | None:
    """What a leased follow-up or check-in row shows; None when it should not be sent."""
    if delivery.contact_id is not None:
        contact = await session.get(Contact, delivery.contact_id)
        if contact is None or contact.cadence_days is None or _checkin_answered(contact, delivery):
            return None
        return CheckIn(
            delivery.id,
            user.chat_id,
            user.language,
            user.timezone or "UTC",
            contact_id=contact.id,
            contact=contact.name,
            cadence_days=contact.cadence_days,
            last_interaction_at=contact.last_interaction_at,
            reminder=delivery.kind is DeliveryKind.REMINDER,
            slot_at=delivery.slot_at,
        )
    commitment = (
        await session.get(Commitment, delivery.commitment_id) if delivery.commitment_id else None
    )
    if commitment is None or commitment.status is not CommitmentStatus.OPEN:
        return None  # released, done or deleted since: not sent
    if commitment.pings < _PINGS_SENT_BY[delivery.kind]:
        return None  # snoozed or moved since the row was made: its new moment will ask
    contact = await session.get(Contact, commitment.contact_id) if commitment.contact_id else None
    return FollowUp(
        delivery.id,
        user.chat_id,
        user.language,
        user.timezone or "UTC",
        commitment_id=commitment.id,
        action=commitment.action,
        contact=contact.name if contact is not None else None,
        due_at=commitment.due_at,
        reminder=delivery.kind is DeliveryKind.REMINDER,
        slot_at=delivery.slot_at,
        made_at=commitment.created_at,
        card=curriculum.get(commitment.card_key) if commitment.card_key else None,
    )
