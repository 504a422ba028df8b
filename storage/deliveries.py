"""Queries on deliveries: claiming due work, recording outcomes, a member's prompt history.

Claims lock rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several dispatcher
processes share the work; on SQLite the `BEGIN IMMEDIATE` transaction serialises them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    COMMITMENT_ROWS,
    CONTACT_ROWS,
    MEMBER_ROWS,
    Commitment,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Reflection,
    User,
    UserStatus,
)
from storage.upsert import dialect_insert

__all__ = [
    "PROMPT_KINDS",
    "DeliveryAbout",
    "add_deliveries_about",
    "add_delivery",
    "cancel_prompts_ahead",
    "card_history",
    "claim_companions",
    "claim_due_deliveries",
    "claim_due_users",
    "latest_pending_due",
    "latest_sent_prompt",
    "release_held_deliveries",
]

PROMPT_KINDS = (DeliveryKind.PROMPT, DeliveryKind.EXTRA)


async def claim_due_users(
    session: AsyncSession, now: datetime, limit: int, *, ahead: datetime | None = None
) -> Sequence[User]:
    """Members whose next prompt (or end of pause) is due, oldest first, locked for this session.

    With `ahead`, active members whose prompt falls due by then come too (a pause still
    ends at its moment): their prompt's row is made early, to go out with what else is due.
    """
    due = User.next_prompt_at <= now
    if ahead is not None and ahead > now:
        # The index's range is the wider one; the rest is a filter on the rows it finds.
        due = and_(
            User.next_prompt_at <= ahead,
            or_(User.next_prompt_at <= now, User.status == UserStatus.ACTIVE),
        )
    query = (
        select(User)
        .where(due)
        .order_by(User.next_prompt_at)
        .limit(limit)
        # SQLite ignores FOR UPDATE; its write transaction already excludes other writers.
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def add_delivery(
    session: AsyncSession,
    *,
    user_id: int,
    kind: DeliveryKind,
    slot_at: datetime,
    status: DeliveryStatus,
    due_at: datetime,
    now: datetime,
    card_key: str | None = None,
    question_index: int | None = None,
    attempts: int = 0,
) -> int | None:
    """Insert a delivery unless one exists for this member, kind and slot; return its id."""
    values = {
        "user_id": user_id,
        "kind": kind,
        "slot_at": slot_at,
        "status": status,
        "due_at": due_at,
        "attempts": attempts,
        "card_key": card_key,
        "question_index": question_index,
        "created_at": now,
    }
    insert = dialect_insert(session)
    statement = (
        insert(Delivery)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["user_id", "kind", "slot_at"], index_where=MEMBER_ROWS
        )
        .returning(Delivery.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class DeliveryAbout:
    """A pending follow-up or check-in to add: whose, which kind, about what, when it may go.

    `slot_at` is the moment it fell due (None: `due_at`), which keys it with its subject.
    """

    user_id: int
    kind: DeliveryKind
    due_at: datetime
    commitment_id: int | None = None
    contact_id: int | None = None
    slot_at: datetime | None = None


async def add_deliveries_about(
    session: AsyncSession, items: Sequence[DeliveryAbout], *, now: datetime
) -> None:
    """Add pending deliveries keyed by their commitment or contact and their slot.

    One statement for all follow-ups and one for all check-ins, however many there are;
    one that exists already (same subject, kind and slot) is left as it is.
    """
    insert = dialect_insert(session)
    for subject, rows_covered in (("commitment_id", COMMITMENT_ROWS), ("contact_id", CONTACT_ROWS)):
        values = [
            {
                "user_id": item.user_id,
                "kind": item.kind,
                "slot_at": item.slot_at or item.due_at,
                "status": DeliveryStatus.PENDING,
                "due_at": item.due_at,
                "attempts": 0,
                "created_at": now,
                "commitment_id": item.commitment_id,
                "contact_id": item.contact_id,
            }
            for item in items
            if getattr(item, subject) is not None
        ]
        if values:
            statement = (
                insert(Delivery)
                .values(values)
                .on_conflict_do_nothing(
                    index_elements=[subject, "kind", "slot_at"], index_where=rows_covered
                )
            )
            await session.execute(statement)


async def latest_pending_due(
    session: AsyncSession, user_ids: set[int], now: datetime
) -> dict[int, datetime]:
    """Per member (of those given): when the last of their pending deliveries that fell
    due by `now` may go (rows made ahead of their moment do not count)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Delivery.user_id, func.max(Delivery.due_at))
        .where(
            Delivery.user_id.in_(user_ids),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.slot_at <= now,
        )
        .group_by(Delivery.user_id)
    )
    return {user_id: due for user_id, due in rows.all()}


async def claim_due_deliveries(
    session: AsyncSession, now: datetime, limit: int, *, skip_chats: Collection[int] = ()
) -> Sequence[Delivery]:
    """Due deliveries (pending, or sends whose lease ran out), one per member, oldest first, locked.

    A member's chat takes one message a second, so a member gets no second row while a
    send of theirs is leased, nor any while their chat is in `skip_chats` (Telegram asked
    it to wait): one member's backlog never takes the places of the others. Rows of
    members who are not active come all at once (they are cancelled, not sent).
    """
    due = (
        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        Delivery.due_at <= now,
    )
    leased = select(Delivery.user_id).where(
        Delivery.status == DeliveryStatus.SENDING, Delivery.due_at > now
    )
    candidates = select(
        Delivery.id,
        Delivery.user_id,
        Delivery.due_at,
        func.row_number()
        .over(partition_by=Delivery.user_id, order_by=(Delivery.due_at, Delivery.id))
        .label("place"),
    ).where(*due, Delivery.user_id.not_in(leased))
    if skip_chats:
        held = select(User.id).where(User.chat_id.in_(skip_chats))
        candidates = candidates.where(Delivery.user_id.not_in(held))
    firsts = candidates.subquery()
    inactive = select(User.id).where(User.status != UserStatus.ACTIVE)
    chosen = (
        select(firsts.c.id)
        .where(or_(firsts.c.place == 1, firsts.c.user_id.in_(inactive)))
        .order_by(firsts.c.due_at)
        .limit(limit)
    )
    query = (
        # `due` again: PostgreSQL checks it anew on a row another process changed meanwhile.
        select(Delivery)
        .where(Delivery.id.in_(chosen), *due)
        .order_by(Delivery.due_at)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def cancel_prompts_ahead(
    session: AsyncSession, user_id: int, now: datetime, keep: datetime | None
) -> None:
    """Cancel the member's weekly prompts made ahead of a slot other than `keep`.

    A prompt's row is made a little before its slot (to go with what else is due then);
    a member who moved their weekly time meanwhile gets the new slot instead.
    """
    query = (
        update(Delivery)
        .where(
            Delivery.user_id == user_id,
            Delivery.kind == DeliveryKind.PROMPT,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.slot_at > now,
        )
        .values(status=DeliveryStatus.CANCELLED)
    )
    if keep is not None:
        query = query.where(Delivery.slot_at != keep)
    await session.execute(query)


async def release_held_deliveries(
    session: AsyncSession, user_id: int, kinds: Collection[DeliveryKind], now: datetime
) -> None:
    """The member's pending deliveries of `kinds` waiting for a later moment are due now."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.user_id == user_id,
            Delivery.kind.in_(kinds),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.due_at > now,
        )
        .values(due_at=now)
    )


async def claim_companions(
    session: AsyncSession,
    anchors: Sequence[Delivery],
    now: datetime,
    until: datetime,
    per_member: int,
) -> Sequence[Delivery]:
    """The anchors' members' other rows due by `until`, to go with them as one digest; locked.

    Pending rows, or sends whose lease ran out; never broadcasts (they go on their own);
    at most `per_member` a member, soonest first.
    """
    members = {anchor.user_id for anchor in anchors}
    if not members or per_member < 1:
        return []
    waiting = (
        or_(
            Delivery.status == DeliveryStatus.PENDING,
            and_(Delivery.status == DeliveryStatus.SENDING, Delivery.due_at <= now),
        ),
        Delivery.due_at <= until,
        Delivery.kind != DeliveryKind.BROADCAST,
    )
    ranked = (
        select(
            Delivery.id,
            func.row_number()
            .over(partition_by=Delivery.user_id, order_by=(Delivery.due_at, Delivery.id))
            .label("place"),
        )
        .where(
            Delivery.user_id.in_(members),
            Delivery.id.not_in([anchor.id for anchor in anchors]),
            *waiting,
        )
        .subquery()
    )
    query = (
        # `waiting` again: PostgreSQL checks it anew on a row another process changed.
        select(Delivery)
        .where(Delivery.id.in_(select(ranked.c.id).where(ranked.c.place <= per_member)), *waiting)
        .order_by(Delivery.due_at, Delivery.id)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def card_history(
    session: AsyncSession, user_id: int
) -> list[tuple[str, datetime | None, datetime | None, datetime | None]]:
    """Per card: when the member last got it, reflected on it and made a commitment from it."""
    shown = await session.execute(
        select(Delivery.card_key, func.max(Delivery.slot_at))
        .where(
            Delivery.user_id == user_id,
            Delivery.kind.in_(PROMPT_KINDS),
            Delivery.card_key.is_not(None),
            Delivery.status.not_in((DeliveryStatus.CANCELLED, DeliveryStatus.FAILED)),
        )
        .group_by(Delivery.card_key)
    )
    reflected = await session.execute(
        select(Reflection.card_key, func.max(Reflection.created_at))
        .where(Reflection.user_id == user_id)
        .group_by(Reflection.card_key)
    )
    committed = await session.execute(
        select(Commitment.card_key, func.max(Commitment.created_at))
        .where(Commitment.user_id == user_id, Commitment.card_key.is_not(None))
        .group_by(Commitment.card_key)
    )
    last_shown: dict[str, datetime] = {key: when for key, when in shown.all() if key}
    last_reflected: dict[str, datetime] = {key: when for key, when in reflected.all()}
    last_committed: dict[str, datetime] = {key: when for key, when in committed.all() if key}
    return [
        (key, last_shown.get(key), last_reflected.get(key), last_committed.get(key))
        for key in dict.fromkeys([*last_shown, *last_reflected, *last_committed])
    ]


async def latest_sent_prompt(session: AsyncSession, user_id: int) -> Delivery | None:
    """The prompt the member got most recently."""
    query = (
        select(Delivery)
        .where(
            Delivery.user_id == user_id,
            Delivery.kind.in_(PROMPT_KINDS),
            Delivery.status == DeliveryStatus.SENT,
        )
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
