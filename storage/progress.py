"""Queries behind reviews, progress pictures and operator charts. Never commit.

They read only the columns the pictures need: no reflection text, no commitment action,
so nothing is decrypted that is not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Commitment, CommitmentStatus, Contact, Interaction, Reflection

__all__ = [
    "CommitmentRow",
    "active_member_moments",
    "commitment_rows",
    "contacts_due_between",
    "kept_moments",
    "reflection_rows",
]

# (card key, status, created, closed, renegotiated)
CommitmentRow = tuple[str | None, CommitmentStatus, datetime, datetime | None, datetime | None]


async def reflection_rows(session: AsyncSession, user_id: int) -> list[tuple[str, datetime]]:
    """(card key, written at) of each of the member's reflections, oldest first."""
    rows = await session.execute(
        select(Reflection.card_key, Reflection.created_at)
        .where(Reflection.user_id == user_id)
        .order_by(Reflection.created_at)
    )
    return [(key, at) for key, at in rows.all()]


async def commitment_rows(session: AsyncSession, user_id: int) -> list[CommitmentRow]:
    """Card key, status and moments of each of the member's commitments, oldest first."""
    rows = await session.execute(
        select(
            Commitment.card_key,
            Commitment.status,
            Commitment.created_at,
            Commitment.closed_at,
            Commitment.renegotiated_at,
        )
        .where(Commitment.user_id == user_id)
        .order_by(Commitment.created_at)
    )
    return [(key, status, created, closed, moved) for key, status, created, closed, moved in rows]


async def contacts_due_between(
    session: AsyncSession, user_id: int, start: datetime, end: datetime
) -> Sequence[Contact]:
    """The member's contacts whose check-in falls in [start, end), soonest first."""
    rows = await session.execute(
        select(Contact)
        .where(
            Contact.user_id == user_id,
            Contact.next_checkin_at >= start,
            Contact.next_checkin_at < end,
        )
        .order_by(Contact.next_checkin_at)
    )
    return rows.scalars().all()


async def active_member_moments(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(member id, moment) of everything members did in [start, end): aggregates only.

    Reflections written, commitments made or closed, interactions logged.
    """
    parts = union_all(
        select(Reflection.user_id, Reflection.created_at.label("at")).where(
            Reflection.created_at >= start, Reflection.created_at < end
        ),
        select(Commitment.user_id, Commitment.created_at.label("at")).where(
            Commitment.created_at >= start, Commitment.created_at < end
        ),
        select(Commitment.user_id, Commitment.closed_at.label("at")).where(
            Commitment.closed_at >= start, Commitment.closed_at < end
        ),
        select(Interaction.user_id, Interaction.created_at.label("at")).where(
            Interaction.created_at >= start, Interaction.created_at < end
        ),
    ).subquery()
    rows = await session.execute(select(parts.c.user_id, parts.c.at).distinct())
    return [(user_id, at) for user_id, at in rows.all()]


async def kept_moments(session: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """When each commitment kept in [start, end) was closed, over all members."""
    rows = await session.execute(
        select(Commitment.closed_at).where(
            Commitment.status == CommitmentStatus.DONE,
            Commitment.closed_at >= start,
            Commitment.closed_at < end,
        )
    )
    return [at for at in rows.scalars() if at is not None]
