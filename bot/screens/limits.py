"""The friendly answer when a member reaches a limit: what it is and what to do."""

from __future__ import annotations

from bot.domain.limits import LimitReached
from bot.screens.base import Screen
from content.i18n import Markup, catalog

__all__ = ["limit_screen", "limit_text"]


def limit_text(language: str, reached: LimitReached) -> Markup:
    """The limit in the member's language, with the number and the way on."""
    return catalog(language)(f"limit.{reached.limit}", limit=reached.maximum)


def limit_screen(language: str, reached: LimitReached) -> Screen:
    """The limit as a message of its own."""
    return Screen(limit_text(language, reached))
