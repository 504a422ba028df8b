"""Conversation state per member: which guided flow they are in, at which step, with what draft.

Drafts expire: a state last touched before the sessions' cutoff (`drafts_info`), or one
whose draft cannot be read, is replaced by a note that it expired (flow `EXPIRED_FLOW`,
step the flow it was, nothing typed kept), so the member can be told when they come
back. Set-up (onboarding) holds nothing typed and is kept until finished.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState
from storage.unreadable import UnreadableData, is_unreadable

__all__ = [
    "EXPIRED_FLOW",
    "KEPT_FLOWS",
    "clear_state",
    "drafts_info",
    "expire_states",
    "get_state",
    "set_state",
]

EXPIRED_FLOW = "expired"
# Flows that never expire: set-up keeps only a chosen weekday, and may be finished any time.
KEPT_FLOWS = frozenset({"onboarding"})
_CUTOFF = "netcoach_drafts_expire_before"

DraftCutoff = Callable[[], datetime]


def drafts_info(expire_before: DraftCutoff | None) -> dict[str, Any]:
    """Session `info` that makes `get_state` expire drafts last touched before the cutoff."""
    return {} if expire_before is None else {_CUTOFF: expire_before}


def _written_with_unknown_key(state: ConversationState) -> bool:
    """A draft sealed with a key this process does not have (yet): another process,
    already restarted with a new key during a rotation, wrote it. Not damaged: it is
    left for a process that can read it, and ages out like any draft."""
    return isinstance(state.data, UnreadableData) and state.data.reason == "unknown_key"


def _expiry(session: AsyncSession, state: ConversationState) -> str | None:
    if state.flow == EXPIRED_FLOW:
        return None
    if is_unreadable(state.data):
        return "unreadable"
    cutoff: DraftCutoff | None = session.info.get(_CUTOFF)
    if cutoff is not None and state.flow not in KEPT_FLOWS and state.updated_at < cutoff():
        return "expired"
    return None


def _retire(state: ConversationState, reason: str) -> None:
    state.step = state.flow
    state.flow = EXPIRED_FLOW
    state.data = {"reason": reason}


async def get_state(session: AsyncSession, user_id: int) -> ConversationState | None:
    """The member's current flow, if any (an expired draft comes back as `EXPIRED_FLOW`).

    A draft under a key this process does not know counts as none here and is kept.
    """
    state = await session.get(ConversationState, user_id)
    if state is None or _written_with_unknown_key(state):
        return None
    reason = _expiry(session, state)
    if reason is not None:
        _retire(state, reason)
        await session.flush()
    return state


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


async def expire_states(session: AsyncSession, *, before: datetime, forget_before: datetime) -> int:
    """Retire drafts last touched before `before`; forget notes retired before `forget_before`.

    Returns how many drafts were retired.
    """
    query = select(ConversationState).where(
        ConversationState.updated_at < before,
        ConversationState.flow.not_in({EXPIRED_FLOW, *KEPT_FLOWS}),
    )
    retired = 0
    for state in (await session.execute(query)).scalars():
        _retire(state, "expired")
        retired += 1
    await session.flush()
    await session.execute(
        delete(ConversationState).where(
            ConversationState.flow == EXPIRED_FLOW, ConversationState.updated_at < forget_before
        )
    )
    return retired
