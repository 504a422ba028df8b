"""What a leased delivery looks like, by kind: the weekly prompt, a follow-up, a check-in."""

from __future__ import annotations

from bot.domain.followups import CheckIn, FollowUp
from bot.domain.prompts import Outgoing
from bot.screens.base import Screen
from bot.screens.followups import checkin_screen, followup_screen
from bot.screens.prompt import prompt_screen

__all__ = ["outgoing_screen"]


def outgoing_screen(item: Outgoing) -> Screen:
    """The message for one delivery."""
    if isinstance(item, FollowUp):
        return followup_screen(item)
    if isinstance(item, CheckIn):
        return checkin_screen(item)
    return prompt_screen(item)
