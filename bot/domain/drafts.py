"""Drafts that wait too long: dropped after NETCOACH_DRAFT_DAYS, and the member told once.

A draft is whatever a guided flow keeps between messages (a commitment's who and what,
a broadcast's text, an open question). One untouched for `Settings.draft_days` is
retired when next read and by an hourly sweep (`storage.conversations`): nothing typed
is kept, only a note that there was one, so the member who comes back and writes into
it hears what happened instead of a puzzled answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.members import Identity, Member, member_from_row
from bot.domain.runtime import Runtime
from storage.conversations import EXPIRED_FLOW, clear_state, expire_states, get_state
from storage.users import get_user_by_telegram_id

__all__ = ["DraftExpired", "expire_drafts", "expired_draft"]


@dataclass(frozen=True, slots=True)
class DraftExpired:
    """The member's unfinished `flow` was dropped: it waited `days` days, or was unreadable."""

    member: Member
    flow: str
    days: int
    unreadable: bool = False


async def expired_draft(runtime: Runtime, who: Identity) -> DraftExpired | None:
    """If the member's last draft was dropped, say so (once) and forget the note."""
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        state = await get_state(session, user.id)
        if state is None or state.flow != EXPIRED_FLOW:
            return None
        await clear_state(session, user.id)
        return DraftExpired(
            member_from_row(user),
            flow=state.step,
            days=runtime.settings.draft_days,
            unreadable=state.data.get("reason") == "unreadable",
        )


async def expire_drafts(runtime: Runtime) -> int:
    """Drop every draft untouched for `draft_days` (notes of it go a period later)."""
    now = runtime.clock.now()
    period = timedelta(days=runtime.settings.draft_days)
    async with runtime.sessions.begin() as session:
        return await expire_states(session, before=now - period, forget_before=now - 2 * period)
