"""Queries on reflections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reflection

__all__ = [
    "add_reflection",
    "count_newer_reflections",
    "count_reflections",
    "latest_reflection_between",
    "reflection_by_message",
    "reflections_page",
]


async def add_reflection(
    session: AsyncSession,
    *,
    user_id: int,
    delivery_id: int | None,
    card_key: str,
    question_index: int | None,
    text: str,
    now: datetime,
    telegram_message_id: int | None = None,
) -> Reflection:
    """Keep what the member wrote (and which of their messages it came from)."""
    reflection = Reflection(
        user_id=user_id,
        delivery_id=delivery_id,
        card_key=card_key,
        question_index=question_index,
        text=text,
        created_at=now,
        telegram_message_id=telegram_message_id,
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


async def reflection_by_message(
    session: AsyncSession, user_id: int, telegram_message_id: int
) -> Reflection | None:
    """The member's reflection kept from this Telegram message of theirs."""
    query = (
        select(Reflection)
        .where(Reflection.user_id == user_id, Reflection.telegram_message_id == telegram_message_id)
        .order_by(Reflection.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def count_newer_reflections(session: AsyncSession, reflection: Reflection) -> int:
    """How many of the member's reflections the journal lists before this one."""
    query = (
        select(func.count())
        .select_from(Reflection)
        .where(
            Reflection.user_id == reflection.user_id,
            or_(
                Reflection.created_at > reflection.created_at,
                and_(
                    Reflection.created_at == reflection.created_at,
                    Reflection.id > reflection.id,
                ),
            ),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def latest_reflection_between(
    session: AsyncSession, user_id: int, start: datetime, end: datetime
) -> Reflection | None:
    """The member's latest reflection written in (start, end]."""
    query = (
        select(Reflection)
        .where(
            Reflection.user_id == user_id,
            Reflection.created_at > start,
            Reflection.created_at <= end,
        )
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
