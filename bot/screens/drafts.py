"""The answer to a member who writes into a draft that was dropped."""

from __future__ import annotations

from bot.domain.drafts import DraftExpired
from bot.screens.base import Screen
from content.i18n import catalog

__all__ = ["draft_expired_screen"]

# Flows with words of their own; any other says "your draft" and points to /help.
_NAMED_FLOWS = frozenset({"commitment", "broadcast", "reflection", "settings", "onboarding"})


def draft_expired_screen(expired: DraftExpired) -> Screen:
    """Say what was dropped and why, and how to start again."""
    t = catalog(expired.member.language)
    flow = expired.flow if expired.flow in _NAMED_FLOWS else "other"
    what, again = t(f"draft.what_{flow}"), t(f"draft.again_{flow}")
    if expired.unreadable:
        return Screen(t("draft.unreadable", what=what, again=again))
    return Screen(t("draft.expired", what=what, days=expired.days, again=again))
