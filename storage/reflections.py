"""Queries on reflections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reflection

__all__ = ["add_reflection", "count_reflections", "reflections_page"]


async def add_reflection(
    session: AsyncSession,
    *,
    user_id: int,
    delivery_id: int | None,
    card_key: str,
    question_index: int | None,
    text: str,
    now: datetime,
) -> Reflection:
    """Keep what the member wrote."""
    reflection = Reflection(
        user_id=user_id,
        delivery_id=delivery_id,
        card_key=card_key,
        question_index=question_index,
        text=text,
        created_at=now,
    )
    session.add(reflection)
    await session.flush()
    return reflection


async def count_reflections(session: AsyncSession, user_id: int) -> int:
    """How many reflections the member has written."""
    query = select(func.count()).select_from(Reflection).where(Reflection.user_id == user_id)
    return int((await session.execute(query)).scalar_one())


async def reflections_page(
    session: AsyncSession, user_id: int, *, offset: int, limit: int
) -> Sequence[Reflection]:
    """The member's reflections, newest first."""
    query = (
        select(Reflection)
        .where(Reflection.user_id == user_id)
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()
