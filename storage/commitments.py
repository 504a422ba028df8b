"""Queries on commitments. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
)

__all__ = [
    "claim_due_followups",
    "count_open_commitments",
    "on_time_counts",
    "open_commitments_page",
    "overdue_commitments",
    "postpone_followup",
    "release_held_followups",
]


async def claim_due_followups(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[Commitment]:
    """Commitments whose follow-up moment has come, oldest first, locked for this session."""
    query = (
        select(Commitment)
        .where(Commitment.followup_at <= now)
        .order_by(Commitment.followup_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def postpone_followup(session: AsyncSession, commitment_id: int, until: datetime) -> None:
    """Move a commitment's follow-up moment to `until`."""
    await session.execute(
        update(Commitment).where(Commitment.id == commitment_id).values(followup_at=until)
    )


async def count_open_commitments(session: AsyncSession, user_id: int) -> int:
    """How many commitments the member has open."""
    query = (
        select(func.count())
        .select_from(Commitment)
        .where(Commitment.user_id == user_id, Commitment.status == CommitmentStatus.OPEN)
    )
    return int((await session.execute(query)).scalar_one())


async def open_commitments_page(
    session: AsyncSession, user_id: int, *, offset: int, limit: int
) -> list[tuple[Commitment, str | None]]:
    """One page of the member's open commitments, soonest due first, with the contact's name."""
    # The contact is loaded whole: a name selected as a column alone stays encrypted.
    query = (
        select(Commitment, Contact)
        .outerjoin(Contact, Contact.id == Commitment.contact_id)
        .where(Commitment.user_id == user_id, Commitment.status == CommitmentStatus.OPEN)
        .order_by(Commitment.due_at, Commitment.id)
        .offset(offset)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [(commitment, contact.name if contact else None) for commitment, contact in rows]


async def on_time_counts(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """(kept or renegotiated on time, decided so far) over the member's commitments."""
    rows = await session.execute(
        select(Commitment.on_time, func.count())
        .where(Commitment.user_id == user_id, Commitment.on_time.is_not(None))
        .group_by(Commitment.on_time)
    )
    counts = {bool(verdict): int(count) for verdict, count in rows.all()}
    return counts.get(True, 0), counts.get(True, 0) + counts.get(False, 0)


async def release_held_followups(
    session: AsyncSession, user_id: int, held_until: datetime | None, now: datetime
) -> None:
    """Follow-ups a pause held (until `held_until`, or first asks fallen due) are due now."""
    held = Commitment.followup_at == held_until if held_until is not None else None
    first_ask = and_(Commitment.pings == 0, Commitment.due_at <= now)
    await session.execute(
        update(Commitment)
        .where(
            Commitment.user_id == user_id,
            Commitment.status == CommitmentStatus.OPEN,
            Commitment.followup_at > now,
            first_ask if held is None else or_(held, first_ask),
        )
        .values(followup_at=now)
    )


async def overdue_commitments(
    session: AsyncSession,
    user_id: int,
    now: datetime,
    limit: int,
    *,
    leaving_out: Collection[int] = (),
) -> tuple[list[tuple[int, str, str | None, datetime]], int]:
    """The member's open commitments past due (but those in `leaving_out`), longest overdue
    first: up to `limit` as (id, action, contact's name, due), and how many in all."""
    overdue = [
        Commitment.user_id == user_id,
        Commitment.status == CommitmentStatus.OPEN,
        Commitment.due_at < now,
    ]
    if leaving_out:
        overdue.append(Commitment.id.not_in(list(leaving_out)))
    rows = await session.execute(
        select(Commitment.id, Commitment.action, Contact.name, Commitment.due_at)
        .outerjoin(Contact, Contact.id == Commitment.contact_id)
        .where(*overdue)
        .order_by(Commitment.due_at, Commitment.id)
        .limit(limit)
    )
    total = await session.execute(select(func.count()).select_from(Commitment).where(*overdue))
    found: list[tuple[int, str, str | None, datetime]] = [
        (row_id, action, name, due) for row_id, action, name, due in rows.all()
    ]
    return found, int(total.scalar_one())
