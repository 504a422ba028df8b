"""Aggregate counts for operators: never a member's text, never a single member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Commitment, Interaction, Reflection, User, UserStatus

__all__ = ["active_member_count", "creation_times", "kept_counts", "member_counts"]


async def member_counts(session: AsyncSession | AsyncConnection) -> dict[UserStatus, int]:
    """How many members are active, paused and blocked (in a session or a reading connection)."""
    rows = await session.execute(select(User.status, func.count()).group_by(User.status))
    counts = dict.fromkeys(UserStatus, 0)
    counts.update({status: int(count) for status, count in rows.all()})
    return counts


async def active_member_count(session: AsyncSession, since: datetime) -> int:
    """Members who reflected, made a commitment or logged a contact since `since`."""
    acted = union(
        select(Reflection.user_id).where(Reflection.created_at >= since),
        select(Commitment.user_id).where(Commitment.created_at >= since),
        select(Interaction.user_id).where(Interaction.created_at >= since),
    ).subquery()
    return int((await session.execute(select(func.count()).select_from(acted))).scalar_one())


async def creation_times(
    session: AsyncSession, model: type[Reflection] | type[Commitment], since: datetime
) -> list[datetime]:
    """When each reflection or commitment since `since` was created (for weekly counts)."""
    rows = await session.execute(select(model.created_at).where(model.created_at >= since))
    return list(rows.scalars())


async def kept_counts(session: AsyncSession) -> tuple[int, int]:
    """(kept or renegotiated in time, all with a verdict) over every commitment."""
    row = (
        await session.execute(
            select(
                func.count().filter(Commitment.on_time.is_(True)),
                func.count().filter(Commitment.on_time.is_not(None)),
            )
        )
    ).one()
    return int(row[0]), int(row[1])
