"""Queries on the member's last undoable tap. Never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UndoableTap

__all__ = ["forget_tap", "forget_taps_before", "remember_tap", "user_tap"]


async def remember_tap(
    session: AsyncSession,
    *,
    user_id: int,
    action: str,
    before: dict[str, Any],
    now: datetime,
    commitment_id: int | None = None,
    interaction_id: int | None = None,
) -> UndoableTap:
    """Keep this tap as the member's last one (the one before can no longer be undone)."""
    await forget_tap(session, user_id)
    tap = UndoableTap(
        user_id=user_id,
        action=action,
        commitment_id=commitment_id,
        interaction_id=interaction_id,
        before=before,
        created_at=now,
    )
    session.add(tap)
    await session.flush()
    return tap


async def user_tap(session: AsyncSession, user_id: int) -> UndoableTap | None:
    """The member's last tap, if it is still kept."""
    query = select(UndoableTap).where(UndoableTap.user_id == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def forget_tap(session: AsyncSession, user_id: int) -> None:
    """The member's last tap can no longer be undone."""
    await session.execute(delete(UndoableTap).where(UndoableTap.user_id == user_id))


async def forget_taps_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete every tap made before `cutoff` (too old to undo); how many there were."""
    result = await session.execute(delete(UndoableTap).where(UndoableTap.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
