"""What a leased delivery looks like, by kind: prompt, follow-up, check-in, broadcast."""

from __future__ import annotations

from bot.domain.broadcasts import BroadcastMessage
from bot.domain.followups import CheckIn, FollowUp
from bot.domain.prompts import Outgoing, Prompt
from bot.screens.admin import broadcast_screen
from bot.screens.base import Screen
from bot.screens.followups import checkin_screen, followup_screen
from bot.screens.prompt import prompt_screen, review_fits_inline
from bot.screens.review import review_screen

__all__ = ["lead_in_screens", "outgoing_screen"]


def outgoing_screen(item: Outgoing) -> Screen:
    """The message for one delivery."""
    if isinstance(item, BroadcastMessage):
        return broadcast_screen(item)
    if isinstance(item, FollowUp):
        return followup_screen(item)
    if isinstance(item, CheckIn):
        return checkin_screen(item)
    return prompt_screen(item)


def lead_in_screens(item: Outgoing) -> tuple[Screen, ...]:
    """Messages sent right before a delivery: the weekly review, when it goes separately."""
    if not isinstance(item, Prompt) or item.review is None or review_fits_inline(item):
        return ()
    return (review_screen(item.review, item.language),)
