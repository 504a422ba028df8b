"""The offer under a stray text: keep it as a note, log a meeting, make a commitment."""

from __future__ import annotations

from bot.domain.stray import StrayOffer
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.fitting import shorten
from content.i18n import catalog

__all__ = ["AS_COMMITMENT", "AS_MEETING", "AS_NOTE", "BUTTON_KINDS", "stray_offer_screen"]

AS_NOTE = "sn"
AS_MEETING = "sm"  # the argument: a contact id, or 0 for the new name the text holds
AS_COMMITMENT = "sc"
BUTTON_KINDS = (AS_NOTE, AS_MEETING, AS_COMMITMENT)
_LABEL_UNITS = 24


def stray_offer_screen(offer: StrayOffer) -> Screen:
    """A reply to the stray text: what it may become, one button each."""
    t = catalog(offer.language)
    rows: list[tuple[Button, ...]] = [(Button(t("button.stray_note"), encode(AS_NOTE)),)]
    if offer.as_meeting:
        named = list(offer.contacts)
        if not named and offer.new_name is not None:
            named = [(0, offer.new_name)]
        rows += [
            (
                Button(
                    t("button.stray_meeting", contact=shorten(name, _LABEL_UNITS)),
                    encode(AS_MEETING, contact_id),
                ),
            )
            for contact_id, name in named
        ]
    if offer.as_commitment:
        rows.append((Button(t("button.stray_commitment"), encode(AS_COMMITMENT)),))
    return Screen(t("stray.offer"), buttons=tuple(rows))
