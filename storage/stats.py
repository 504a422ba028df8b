"""Aggregate counts for operators: never a member's text, never a single member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Subquery, func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Commitment, Interaction, Reflection, User, UserStatus

__all__ = [
    "active_member_count",
    "creation_times",
    "kept_counts",
    "member_counts",
    "members_per_network",
]


async def member_counts(session: AsyncSession | AsyncConnection) -> dict[UserStatus, int]:
    """How many members are active, paused and blocked (in a session or a reading connection)."""
    rows = await session.execute(select(User.status, func.count()).group_by(User.status))
    counts = dict.fromkeys(UserStatus, 0)
    counts.update({status: int(count) for status, count in rows.all()})
    return counts


def _acted_since(since: datetime) -> Subquery:
    """Members who reflected, made a commitment or logged a contact since `since`."""
    return union(
        select(Reflection.user_id).where(Reflection.created_at >= since),
        select(Commitment.user_id).where(Commitment.created_at >= since),
        select(Interaction.user_id).where(Interaction.created_at >= since),
    ).subquery()


async def active_member_count(session: AsyncSession, since: datetime) -> int:
    """Members who reflected, made a commitment or logged a contact since `since`."""
    acted = _acted_since(since)
    return int((await session.execute(select(func.count()).select_from(acted))).scalar_one())


async def members_per_network(session: AsyncSession, since: datetime) -> dict[str, tuple[int, int]]:
    """Per network (invite link) with members: (members, of them active since `since`)."""
    acted = _acted_since(since)
    query = (
        select(
            User.network,
            func.count(),
            func.count(acted.c.user_id),
        )
        .outerjoin(acted, acted.c.user_id == User.id)
        .where(User.network.is_not(None))
        .group_by(User.network)
    )
    rows = await session.execute(query)
    return {str(network): (int(members), int(active)) for network, members, active in rows.all()}


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
