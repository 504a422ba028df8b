"""The weekly prompt: choosing the card, turning due slots into deliveries, recording sends.

The database is the schedule. `schedule_due_prompts` turns members whose slot has come
into delivery rows and moves their slot on; `claim_deliveries` leases due rows for
sending; `record_outcomes` marks what happened. A crash between lease and record
leaves rows `sending` until the lease runs out, and then they are sent again: the only
duplicates possible are those in flight.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.broadcasts import BroadcastMessage, broadcast_for
from bot.domain.digest import MAX_DIGEST_ITEMS, Digest
from bot.domain.followups import (
    FOLLOWUP_KINDS,
    CheckIn,
    FollowUp,
    digest_window,
    outgoing_for,
    pause_holds_until,
)
from bot.domain.members import Identity, reschedule
from bot.domain.memory import CardMemory, CardWanted, card_memories, contact_notes, may_quote
from bot.domain.review import WeeklyReview, build_review
from bot.domain.rotation import next_card
from bot.domain.runtime import Runtime
from bot.domain.scheduling import RowGuard, ScheduleFault, schedule_isolated
from content.cards import Card, Curriculum
from storage.deliveries import (
    PROMPT_KINDS,
    add_delivery,
    claim_companions,
    claim_due_deliveries,
    claim_due_users,
)
from storage.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    ReviewPlacement,
    User,
    UserStatus,
)
from storage.rotation import Asked, note_asked
from storage.users import get_user_by_telegram_id, postpone_prompt

__all__ = [
    "CATCH_UP_AFTER",
    "MAX_ATTEMPTS",
    "Outcome",
    "Outgoing",
    "Prompt",
    "RowFault",
    "SendOutcome",
    "Sendable",
    "claim_deliveries",
    "delivery_on_its_own",
    "fault_backoff",
    "mark_blocked",
    "next_prompt_now",
    "outage_backoff",
    "prompt_from_rows",
    "record_outcomes",
    "remembered",
    "remembered_prompt",
    "schedule_due_prompts",
]

# A prompt sent this long after its slot says it is a catch-up.
CATCH_UP_AFTER = timedelta(hours=1)
# After this many leases ending in a fault of the row itself (or in a crash), a delivery is
# given up; the member's next slot still comes. Telegram being unreachable never counts.
MAX_ATTEMPTS = 5
# A row that failed for a reason of its own waits 1, 2, 4, 8 minutes before its next try.
_FAULT_BACKOFF = timedelta(minutes=1)
# A row Telegram could not take (5xx, no connection) waits 30 s, 1, 2, 4, 8, then 10 minutes.
_OUTAGE_BACKOFF = timedelta(seconds=30)
_OUTAGE_BACKOFF_MAX = timedelta(minutes=10)

log = logging.getLogger("netcoach.dispatcher")


@dataclass(frozen=True, slots=True)
class Prompt:
    """Everything needed to show one prompt to one member."""

    delivery_id: int
    user_id: int
    chat_id: int
    language: str
    timezone: str
    card: Card
    question_index: int
    slot_at: datetime
    catch_up: bool
    # The weekly prompt, or one asked for with /next.
    kind: DeliveryKind
    skipped: bool = False
    # The weekly review (weekly prompts only; None: nothing to say) and where it goes.
    review: WeeklyReview | None = None
    review_separate: bool = False
    # An earlier send may have reached the member (it timed out): one more try at most.
    maybe_sent: bool = False
    # "Another question" found none the member was not asked within a year.
    all_questions_shown: bool = False
    # What the card recalls from the member's own data (None: nothing, or not here).
    memory: CardMemory | None = None


# What a leased delivery shows: the weekly prompt, a follow-up, a check-in or a broadcast.
Outgoing = Prompt | FollowUp | CheckIn | BroadcastMessage
# What one send task takes: a delivery on its own, or a member's digest of several.
Sendable = Outgoing | Digest


class Outcome(enum.StrEnum):
    """What happened when a delivery was sent."""

    SENT = "sent"
    BLOCKED = "blocked"  # Telegram said 403: the member blocked the bot
    RETRY = "retry"  # Telegram could not take it (5xx, no connection): later, never given up
    FAULT = "fault"  # the row itself failed (rendering, bad data): later, a few times
    FAILED = "failed"  # Telegram refused the request; retrying will not help
    # Timed out twice after Telegram may have had it: not sent a third time.
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The result of one send, to be recorded."""

    delivery_id: int
    outcome: Outcome
    message_id: int | None = None
    # Why it did not go through: a stage and an exception type, never a member's text.
    reason: str | None = None
    # A send timed out after Telegram may have had it (the one retry is used up).
    maybe_sent: bool = False
    # When to try again, if Telegram said (a 429); otherwise the outage back-off.
    retry_in: timedelta | None = None
    # The lead-in went before it (or may have): later leases send it no more.
    lead_in_sent: bool = False


@dataclass(frozen=True, slots=True)
class RowFault:
    """One delivery that could not be prepared; the others go on without it."""

    delivery_id: int
    stage: str
    problem: BaseException

    @property
    def reason(self) -> str:
        """What is recorded and logged: the stage and the exception's type, no text."""
        return f"{self.stage}: {type(self.problem).__name__}"[:64]


def fault_backoff(attempts: int) -> timedelta:
    """How long a row that failed for a reason of its own waits before its next try."""
    return _FAULT_BACKOFF * (1 << max(0, attempts - 1))


def outage_backoff(retries: int) -> timedelta:
    """How long a row Telegram could not take waits; it grows, and is never given up."""
    return min(_OUTAGE_BACKOFF * (1 << min(retries, 10)), _OUTAGE_BACKOFF_MAX)


async def schedule_due_prompts(
    runtime: Runtime, limit: int = 500, on_fault: Callable[[ScheduleFault], object] | None = None
) -> int:
    """Turn due slots into pending deliveries; return how many members were handled.

    A member paused until a moment that has passed is resumed instead. A slot missed
    while the bot was down gives one prompt (for that slot) and the next slot is the
    next regular one after now, never a flood of catch-ups. A slot within the digest
    window gets its row now, due at the slot. A member whose data cannot be scheduled is
    set aside for a while (see `schedule_isolated`); `on_fault` hears of it.
    """
    now = runtime.clock.now()
    ahead = digest_window(runtime)

    async def batch(session: AsyncSession, guard: RowGuard) -> int:
        users = await claim_due_users(session, now, limit, ahead=now + ahead)
        asked: list[Asked] = []
        for user in users:
            step = _schedule_prompt(session, runtime.curriculum, user, now)
            question = await guard.row("member", user, postpone_prompt, step)
            if question is not None:
                asked.append(question)
        await note_asked(session, asked)
        return len(users)

    return await schedule_isolated(runtime, batch, on_fault, ahead=ahead)


async def _schedule_prompt(
    session: AsyncSession, curriculum: Curriculum, user: User, now: datetime
) -> Asked | None:
    """One due member: their prompt for the slot that came and the next slot, or resumed.

    Returns the question the prompt asks, to be recorded with the batch's others.
    """
    if user.status is UserStatus.PAUSED:
        user.status = UserStatus.ACTIVE
        user.paused_until = None
        user.updated_at = now
        reschedule(user, now)
        return None
    slot = user.next_prompt_at
    assert slot is not None  # claimed by next_prompt_at <= now
    card, question = await next_card(session, curriculum, user, now)
    added = await add_delivery(
        session,
        user_id=user.id,
        kind=DeliveryKind.PROMPT,
        slot_at=slot,
        status=DeliveryStatus.PENDING,
        due_at=slot,
        now=now,
        card_key=card.key,
        question_index=question,
    )
    # A slot still ahead (within the digest window) is booked: the next one comes after it.
    reschedule(user, max(now, slot))
    return Asked(user.id, card.key, question, now) if added is not None else None


def prompt_from_rows(
    delivery: Delivery, user: User, curriculum: Curriculum, now: datetime
) -> Prompt:
    """The prompt a delivery row stands for, in the member's current language."""
    card = curriculum.get(delivery.card_key or "") or curriculum.intro
    questions = card.text(user.language).questions
    return Prompt(
        delivery_id=delivery.id,
        user_id=user.id,
        chat_id=user.chat_id,
        language=user.language,
        timezone=user.timezone or "UTC",
        card=card,
        question_index=(delivery.question_index or 0) % len(questions),
        slot_at=delivery.slot_at,
        catch_up=delivery.kind is DeliveryKind.PROMPT and now - delivery.slot_at > CATCH_UP_AFTER,
        kind=delivery.kind,
        skipped=delivery.skipped_at is not None,
    )


async def claim_deliveries(
    runtime: Runtime,
    limit: int,
    lease: timedelta,
    on_fault: Callable[[RowFault], object] | None = None,
    *,
    skip_chats: Collection[int] = (),
) -> list[Sendable]:
    """Lease due deliveries for sending; members no longer reachable get theirs cancelled.

    One send per active member, none for chats in `skip_chats` (see
    `claim_due_deliveries`); a member whose row is not leased (cancelled, failed) has
    their next one looked at in the same transaction. With the member's first due row
    come their others due within the digest window (up to `MAX_DIGEST_ITEMS`), leased
    with it: several leased for one member go as one `Digest`.

    A follow-up whose commitment was closed or deleted meanwhile is cancelled too. A row
    that cannot be prepared (bad data, a bug in reading it) is failed for now with its
    reason and tried again later; `on_fault` hears of it, and the others are leased.
    """
    now = runtime.clock.now()
    until = now + digest_window(runtime)
    sends: list[Sendable] = []
    async with runtime.sessions.begin() as session:
        while len(sends) < limit:
            room = limit - len(sends)
            firsts = await claim_due_deliveries(session, now, room, skip_chats=skip_chats)
            # Broadcasts go on their own (and the member's other rows after them).
            anchors = [d for d in firsts if d.kind is not DeliveryKind.BROADCAST]
            companions = (
                await claim_companions(session, anchors, now, until, MAX_DIGEST_ITEMS - 1)
                if until > now
                else []
            )
            leased = await _lease(
                session, runtime.curriculum, [*firsts, *companions], now, lease, on_fault
            )
            grouped = _by_member(leased)
            sends += grouped
            if len(grouped) == len({d.user_id for d in firsts}) or not firsts:
                break  # nothing else due, or the members' next rows wait for these sends
    return sends


def _by_member(leased: Sequence[tuple[int, Outgoing]]) -> list[Sendable]:
    """One send per member: their one delivery, or a digest of several, first due first."""
    members: dict[int, list[Outgoing]] = {}
    for user_id, item in leased:
        members.setdefault(user_id, []).append(item)
    return [
        items[0] if len(items) == 1 else Digest(user_id, tuple(items))
        for user_id, items in members.items()
    ]


async def _lease(
    session: AsyncSession,
    curriculum: Curriculum,
    deliveries: Sequence[Delivery],
    now: datetime,
    lease: timedelta,
    on_fault: Callable[[RowFault], object] | None,
) -> list[tuple[int, Outgoing]]:
    """Lease the claimed rows that are to be sent; cancel, fail or put off the others.

    Returns each leased row's member and what it shows (with what it recalls, see
    `remembered`), in the order of `deliveries`.
    """
    prompts: list[tuple[int, Outgoing]] = []
    users = await _users_by_id(session, {delivery.user_id for delivery in deliveries})
    # What a member's follow-ups in this send ask about (a review there need not name it).
    asked: dict[int, set[int]] = {}
    for delivery in deliveries:
        if delivery.commitment_id is not None:
            asked.setdefault(delivery.user_id, set()).add(delivery.commitment_id)
    for delivery in deliveries:
        user = users[delivery.user_id]
        if user.status is UserStatus.PAUSED and delivery.kind in FOLLOWUP_KINDS:
            # Made before the pause began (a digest window ahead): it waits for its end.
            delivery.due_at = pause_holds_until(user, now)
            continue
        if user.status is not UserStatus.ACTIVE or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = (
                DeliveryStatus.CANCELLED
                if user.status is not UserStatus.ACTIVE
                else DeliveryStatus.FAILED
            )
            continue
        try:
            item = await _outgoing(
                session, curriculum, delivery, user, now, asked.get(user.id, set())
            )
        except Exception as problem:
            fault = RowFault(delivery.id, "load", problem)
            delivery.attempts += 1
            _fail_for_now(delivery, fault.reason, now)
            if on_fault is not None:
                on_fault(fault)
            continue
        if item is None:
            delivery.status = DeliveryStatus.CANCELLED
            continue
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.due_at = now + lease
        prompts.append((user.id, item))
    shown = await remembered(
        session, curriculum, [(item, users[uid]) for uid, item in prompts], now
    )
    return [(uid, item) for (uid, _), item in zip(prompts, shown, strict=True)]


async def remembered(
    session: AsyncSession,
    curriculum: Curriculum,
    items: Sequence[tuple[Outgoing, User]],
    now: datetime,
) -> list[Outgoing]:
    """The items, each with what it recalls for its member (see `bot.domain.memory`).

    Cards get the member's last note on their theme and the lists they ask for,
    check-ins the last note on their contact: one statement per need for all of them.
    """
    wanted = [
        CardWanted(item.delivery_id, user, item.card)
        for item, user in items
        if isinstance(item, Prompt)
    ]
    memories = await card_memories(session, curriculum, wanted, now) if wanted else {}
    checkins = {item.contact_id: user for item, user in items if isinstance(item, CheckIn)}
    notes = await contact_notes(session, checkins) if checkins else {}
    shown: list[Outgoing] = []
    for item, _ in items:
        if isinstance(item, Prompt) and item.delivery_id in memories:
            item = replace(item, memory=memories[item.delivery_id])
        elif isinstance(item, CheckIn) and item.contact_id in notes:
            item = replace(item, note=notes[item.contact_id])
        shown.append(item)
    return shown


async def remembered_prompt(
    session: AsyncSession, curriculum: Curriculum, prompt: Prompt, user: User, now: datetime
) -> Prompt:
    """One prompt with what its card recalls (as when it is shown again after a press)."""
    (shown,) = await remembered(session, curriculum, [(prompt, user)], now)
    assert isinstance(shown, Prompt)
    return shown


async def _outgoing(
    session: AsyncSession,
    curriculum: Curriculum,
    delivery: Delivery,
    user: User,
    now: datetime,
    asked: Collection[int] = (),
) -> Outgoing | None:
    """What a leased row shows (None: it should not be sent any more).

    `asked`: commitments that follow-ups going with it ask about.
    """
    item: Outgoing | None
    if delivery.kind in PROMPT_KINDS:
        item = prompt_from_rows(delivery, user, curriculum, now)
    elif delivery.kind is DeliveryKind.BROADCAST:
        item = await broadcast_for(session, delivery, user)
    else:
        item = await outgoing_for(session, delivery, user, curriculum)
    # A review that went as its own message in an earlier lease is not shown again; one
    # never goes where others read along (it names the member's contacts).
    weekly = delivery.kind is DeliveryKind.PROMPT and not delivery.lead_in_sent
    if isinstance(item, Prompt) and weekly and may_quote(user):
        item = await _with_review(session, curriculum, user, item, now, asked)
    if item is not None and delivery.maybe_sent:
        item = replace(item, maybe_sent=True)
    return item


def _fail_for_now(delivery: Delivery, reason: str, now: datetime) -> None:
    """The row failed for a reason of its own: later, after a growing pause, a few times."""
    delivery.last_error = reason
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        log.error("delivery %s given up after %d tries: %s", delivery.id, delivery.attempts, reason)
        return
    delivery.status = DeliveryStatus.PENDING
    delivery.due_at = now + fault_backoff(delivery.attempts)


async def _with_review(
    session: AsyncSession,
    curriculum: Curriculum,
    user: User,
    prompt: Prompt,
    now: datetime,
    asked: Collection[int] = (),
) -> Prompt:
    """The weekly prompt with the member's review of the week before it, if any.

    Commitments in `asked` (follow-ups in the same digest ask about them) it leaves out.
    """
    review = await build_review(session, curriculum, user, now, leaving_out=asked)
    if review is None:
        return prompt
    separate = user.review_placement is ReviewPlacement.SEPARATE
    return replace(prompt, review=review, review_separate=separate)


async def _users_by_id(session: AsyncSession, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = await session.execute(select(User).where(User.id.in_(ids)))
    return {user.id: user for user in rows.scalars()}


async def record_outcomes(runtime: Runtime, outcomes: Sequence[SendOutcome]) -> None:
    """Mark sends as done, blocked, to be retried, or failed, in one transaction."""
    if not outcomes:
        return
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        rows = await session.execute(
            select(Delivery).where(Delivery.id.in_([o.delivery_id for o in outcomes]))
        )
        deliveries = {delivery.id: delivery for delivery in rows.scalars()}
        blocked_users: set[int] = set()
        for outcome in outcomes:
            delivery = deliveries.get(outcome.delivery_id)
            if delivery is None:  # deleted meanwhile (the member left)
                continue
            _record(delivery, outcome, now)
            if outcome.outcome is Outcome.BLOCKED:
                blocked_users.add(delivery.user_id)
        if blocked_users:
            users = await _users_by_id(session, blocked_users)
            for user in users.values():
                mark_blocked(user, now)


def _record(delivery: Delivery, outcome: SendOutcome, now: datetime) -> None:
    """Write one outcome onto its row."""
    delivery.maybe_sent = delivery.maybe_sent or outcome.maybe_sent
    delivery.lead_in_sent = delivery.lead_in_sent or outcome.lead_in_sent
    if outcome.reason is not None:
        delivery.last_error = outcome.reason[:64]
    match outcome.outcome:
        case Outcome.SENT | Outcome.UNCONFIRMED:
            # Unconfirmed: it may well have arrived (twice at most); it is not sent again.
            delivery.status = DeliveryStatus.SENT
            delivery.telegram_message_id = outcome.message_id
            delivery.sent_at = now
        case Outcome.BLOCKED:
            delivery.status = DeliveryStatus.BLOCKED
        case Outcome.RETRY:
            # Not the row's fault: the lease is given back; it waits as long as Telegram
            # asked, or a pause that grows while Telegram cannot be reached.
            delivery.status = DeliveryStatus.PENDING
            delivery.attempts = max(0, delivery.attempts - 1)
            if outcome.retry_in is not None:
                delivery.due_at = now + outcome.retry_in
            else:
                delivery.due_at = now + outage_backoff(delivery.retries)
                delivery.retries += 1
        case Outcome.FAULT:
            _fail_for_now(delivery, delivery.last_error or "send", now)
        case Outcome.FAILED:
            delivery.status = DeliveryStatus.FAILED


def mark_blocked(user: User, now: datetime) -> None:
    """The member blocked the bot: nothing more is sent until they write again."""
    user.status = UserStatus.BLOCKED
    user.next_prompt_at = None
    user.updated_at = now


async def next_prompt_now(runtime: Runtime, who: Identity, lease: timedelta) -> Prompt | None:
    """`/next`: a delivery for the next card, leased for the caller to send right away.

    It does not move the weekly slot. None when the member has not finished onboarding.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None or user.onboarded_at is None:
            return None
        card, question = await next_card(session, runtime.curriculum, user, now)
        delivery_id = await add_delivery(
            session,
            user_id=user.id,
            kind=DeliveryKind.EXTRA,
            slot_at=now,
            status=DeliveryStatus.SENDING,
            due_at=now + lease,
            now=now,
            card_key=card.key,
            question_index=question,
            attempts=1,
        )
        if delivery_id is None:  # the same instant twice: nothing new to send
            return None
        await note_asked(session, [Asked(user.id, card.key, question, now)])
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None
        prompt = prompt_from_rows(delivery, user, runtime.curriculum, now)
        return await remembered_prompt(session, runtime.curriculum, prompt, user, now)


async def delivery_on_its_own(runtime: Runtime, who: Identity, delivery_id: int) -> Outgoing | None:
    """One of the member's follow-ups, check-ins or prompts, to show again on its own.

    A digest's "show on its own" button: None when the row is not the presser's, is a
    broadcast, or its follow-up or check-in is answered or closed meanwhile.
    """
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        delivery = await session.get(Delivery, delivery_id)
        if user is None or delivery is None or delivery.user_id != user.id:
            return None
        item: Outgoing | None
        if delivery.kind in PROMPT_KINDS:
            prompt = prompt_from_rows(delivery, user, runtime.curriculum, now)
            item = replace(prompt, catch_up=False)
        elif delivery.kind is DeliveryKind.BROADCAST:
            return None
        else:
            item = await outgoing_for(session, delivery, user, runtime.curriculum)
        if item is None:
            return None
        (shown,) = await remembered(session, runtime.curriculum, [(item, user)], now)
        return shown
