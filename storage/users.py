"""Queries on members. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState, User, UserStatus

__all__ = ["MemberBrief", "create_user", "get_member_briefs", "get_user_by_telegram_id"]


class MemberBrief(NamedTuple):
    """What answering most messages needs: who, where, which language, any open flow."""

    user_id: int
    chat_id: int
    language: str
    flow: str | None


async def get_member_briefs(
    session: AsyncSession, telegram_ids: Collection[int]
) -> dict[int, MemberBrief]:
    """Briefs of these members (the unknown are left out), in one statement."""
    query = (
        select(User.telegram_id, User.id, User.chat_id, User.language, ConversationState.flow)
        .outerjoin(ConversationState, ConversationState.user_id == User.id)
        .where(User.telegram_id.in_(telegram_ids))
    )
    rows = (await session.execute(query)).all()
    return {
        telegram_id: MemberBrief(user_id, chat_id, language, flow)
        for telegram_id, user_id, chat_id, language, flow in rows
    }


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
