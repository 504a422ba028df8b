"""Leaving a flow: the ✖ button every question carries, and the answer to leaving."""

from __future__ import annotations

from bot.domain.cancelling import Cancelled
from bot.domain.onboarding import ONBOARDING
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from content.i18n import catalog

__all__ = ["CANCEL_FLOW", "cancel_row", "cancelled_screen"]

CANCEL_FLOW = "xf"


def cancel_row(language: str) -> tuple[Button, ...]:
    """One row with the ✖ button that leaves the open flow, nothing saved."""
    return (Button(catalog(language)("button.cancel_flow"), encode(CANCEL_FLOW)),)


def cancelled_screen(outcome: Cancelled) -> Screen:
    """What leaving did: nothing was open, set-up waits for /start, or the draft is gone."""
    t = catalog(outcome.member.language)
    if outcome.flow is None:
        return Screen(t("cancel.nothing"))
    if outcome.flow == ONBOARDING:
        return Screen(t("cancel.done_onboarding"))
    return Screen(t("cancel.done"))
