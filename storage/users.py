"""Queries on members. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import ConversationState, User, UserStatus

__all__ = [
    "MemberBrief",
    "count_members_except",
    "create_user",
    "get_member_brief",
    "get_user_by_telegram_id",
    "postpone_prompt",
]


class MemberBrief(NamedTuple):
    """What answering most messages needs: who, where, which language, any open flow."""

    user_id: int
    chat_id: int
    language: str
    flow: str | None


_BRIEF = (
    select(User.id, User.chat_id, User.language, ConversationState.flow)
    .outerjoin(ConversationState, ConversationState.user_id == User.id)
    .where(User.telegram_id == bindparam("telegram_id"))
)
_BRIEF_SQL: dict[str, str] = {}


async def get_member_brief(connection: AsyncConnection, telegram_id: int) -> MemberBrief | None:
    """The member's brief in one statement (None if unknown).

    Answering a message needs this and little else, so it is read the cheapest way:
    the statement is compiled once per database kind and sent as it is, which costs
    about half of an ordinary Core execution (the columns need no type conversion).
    """
    dialect = connection.dialect
    sql = _BRIEF_SQL.get(dialect.name)
    if sql is None:
        sql = _BRIEF_SQL[dialect.name] = str(_BRIEF.compile(dialect=dialect))
    row = (await connection.exec_driver_sql(sql, (telegram_id,))).first()
    return None if row is None else MemberBrief._make(row)


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


async def count_members_except(connection: AsyncConnection, telegram_ids: Collection[int]) -> int:
    """How many members the database holds besides these (0 for a database not set up yet)."""
    has_members = await connection.run_sync(
        lambda sync: inspect(sync).has_table(User.__tablename__)
    )
    if not has_members:
        return 0
    query = select(func.count()).select_from(User).where(User.telegram_id.not_in(telegram_ids))
    return int((await connection.execute(query)).scalar_one())


async def postpone_prompt(session: AsyncSession, user_id: int, until: datetime) -> None:
    """Move a member's next prompt (or end of pause) to `until`."""
    await session.execute(update(User).where(User.id == user_id).values(next_prompt_at=until))
