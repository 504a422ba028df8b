"""The offer under a stray text: keep it as a note, log a meeting, make a commitment."""

from __future__ import annotations

from bot.domain.stray import StrayOffer
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from content.i18n import catalog

__all__ = ["AS_COMMITMENT", "AS_MEETING", "AS_NOTE", "BUTTON_KINDS", "stray_offer_screen"]

AS_NOTE = "sn"
AS_MEETING = "sm"
AS_COMMITMENT = "sc"
BUTTON_KINDS = (AS_NOTE, AS_MEETING, AS_COMMITMENT)


def stray_offer_screen(offer: StrayOffer) -> Screen:
    """A reply to the stray text: what it may become, one button each."""
    t = catalog(offer.language)
    rows: list[tuple[Button, ...]] = [(Button(t("button.stray_note"), encode(AS_NOTE)),)]
    if offer.as_meeting:
        rows.append((Button(t("button.stray_meeting"), encode(AS_MEETING)),))
    if offer.as_commitment:
        rows.append((Button(t("button.stray_commitment"), encode(AS_COMMITMENT)),))
    return Screen(t("stray.offer"), buttons=tuple(rows))
