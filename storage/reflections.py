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
    "reflection_by_message",
    "reflection_tally",
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
    receipt: int | None = None,
) -> Reflection:
    """Keep what the member wrote (which of their messages, and which receipt answered it)."""
    reflection = Reflection(
        user_id=user_id,
        delivery_id=delivery_id,
        card_key=card_key,
        question_index=question_index,
        text=text,
        created_at=now,
        telegram_message_id=telegram_message_id,
        receipt=receipt,
    )
    session.add(reflection)
    await session.flush()
    return reflection


async def count_reflections(session: AsyncSession, user_id: int) -> int:
    """How many reflections the member has written."""
    query = select(func.count()).select_from(Reflection).where(Reflection.user_id == user_id)
    return int((await session.execute(query)).scalar_one())


async def reflection_tally(session: AsyncSession, user_id: int) -> tuple[int, int | None]:
    """How many reflections the member has written, and the receipt of the latest, in one
    statement (the latest through the member's index on `created_at`)."""
    latest = (
        select(Reflection.receipt)
        .where(Reflection.user_id == user_id)
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(func.count(), latest).select_from(Reflection).where(Reflection.user_id == user_id)
    )
    count, receipt = (await session.execute(query)).one()
    return int(count), None if receipt is None else int(receipt)


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
