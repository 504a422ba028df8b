"""A row by its id, only when it is the member's: what every button naming a row checks.

A button carries a row's id, which anyone can forge; the row is acted on only when the
member pressing it owns it. Never commit.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Commitment, Contact, Interaction, Reflection, User
from storage.users import get_user_by_telegram_id

__all__ = ["member_row", "owned_row"]

Owned = TypeVar("Owned", Commitment, Contact, Interaction, Reflection)


async def member_row(
    session: AsyncSession, user_id: int, model: type[Owned], row_id: int
) -> Owned | None:
    """The row with this id, only if it is the member's."""
    row = await session.get(model, row_id)
    return row if row is not None and row.user_id == user_id else None


async def owned_row(
    session: AsyncSession, telegram_id: int, model: type[Owned], row_id: int
) -> tuple[User, Owned] | None:
    """The member with this Telegram id and their row with this id; None when either is
    missing or the row is someone else's."""
    user = await get_user_by_telegram_id(session, telegram_id)
    if user is None:
        return None
    row = await member_row(session, user.id, model, row_id)
    return None if row is None else (user, row)
