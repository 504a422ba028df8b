"""Queries on members. Functions take a session and never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User, UserStatus

__all__ = ["create_user", "get_user_by_telegram_id"]


async def get_user_by_telegram_id(
    session: AsyncSession, telegram_id: int, *, for_update: bool = False
) -> User | None:
    """The member with this Telegram user id, if any."""
    query = select(User).where(User.telegram_id == telegram_id)
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def create_user(
    session: AsyncSession, *, telegram_id: int, chat_id: int, language: str, now: datetime
) -> User:
    """Add a new member who has not chosen a time zone or slot yet."""
    user = User(
        telegram_id=telegram_id,
        chat_id=chat_id,
        language=language,
        status=UserStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user
