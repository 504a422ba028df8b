"""Leaving a guided flow: `/cancel`, "abbrechen"/"cancel" as an answer, or the ✖ button.

Whatever the flow (a commitment, a note, a settings change, set-up, a broadcast), its
draft is dropped and nothing of it is saved. Set-up can be picked up again with /start.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.members import Identity, Member, member_from_row
from bot.domain.runtime import Runtime
from storage.conversations import EXPIRED_FLOW, clear_state, get_state
from storage.users import get_user_by_telegram_id

__all__ = ["CANCEL_WORDS", "Cancelled", "cancel_flow", "is_cancel_word"]

# Answers that leave any open question, read case-insensitively and without punctuation.
CANCEL_WORDS = frozenset({"abbrechen", "abbruch", "cancel", "stop", "stopp"})


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The outcome of leaving a flow; `flow` is None when nothing was open."""

    member: Member
    flow: str | None


def is_cancel_word(text: str) -> bool:
    """Whether an answer asks to leave the flow ("Abbrechen!", "cancel")."""
    return text.strip().strip(".!").casefold() in CANCEL_WORDS


async def cancel_flow(runtime: Runtime, who: Identity) -> Cancelled | None:
    """Drop the member's open flow with its draft; None for someone not yet a member."""
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        state = await get_state(session, user.id)
        flow = state.flow if state is not None and state.flow != EXPIRED_FLOW else None
        if state is not None:
            await clear_state(session, user.id)
        return Cancelled(member_from_row(user), flow)
