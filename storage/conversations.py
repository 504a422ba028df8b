"""Conversation state per member: which guided flow they are in and at which step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState

__all__ = ["clear_state", "get_state", "set_state"]


async def get_state(session: AsyncSession, user_id: int) -> ConversationState | None:
    """The member's current flow, if any."""
    return await session.get(ConversationState, user_id)


async def set_state(
    session: AsyncSession,
    user_id: int,
    *,
    flow: str,
    step: str,
    data: dict[str, Any] | None = None,
    now: datetime,
) -> ConversationState:
    """Put the member at `step` of `flow`, replacing whatever state they had."""
    state = await session.get(ConversationState, user_id)
    if state is None:
        state = ConversationState(user_id=user_id, flow=flow, step=step, data={}, updated_at=now)
        session.add(state)
    state.flow = flow
    state.step = step
    state.data = dict(data or {})
    state.updated_at = now
    await session.flush()
    return state


async def clear_state(session: AsyncSession, user_id: int) -> None:
    """End any flow the member was in (through the session, so its change is seen)."""
    state = await session.get(ConversationState, user_id)
    if state is not None:
        await session.delete(state)
        await session.flush()
