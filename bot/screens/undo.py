"""The ↩️ button on a tap's confirmation, and what an undo shows."""

from __future__ import annotations

from bot.domain.members import Member
from bot.domain.undo import Tap, Undone, UndoRef
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode, number
from bot.screens.commitments import commitment_screen
from bot.screens.followups import ledger_buttons
from content.i18n import Markup, catalog

__all__ = ["UNDO", "undo_ref", "undone_screen", "with_undo"]

UNDO = "ud"


def with_undo(screen: Screen, member: Member, undo: UndoRef | None) -> Screen:
    """The confirmation with one more row: ↩️ undo (for a few minutes)."""
    if undo is None:
        return screen
    label = catalog(member.language)("button.undo")
    button = Button(label, encode(UNDO, f"{undo.tap.value}-{undo.target_id}"))
    return Screen(screen.text, buttons=(*screen.buttons, (button,)))


def undo_ref(argument: str) -> UndoRef | None:
    """Read "done-12" back; None for anything else (forged)."""
    action, _, digits = argument.partition("-")
    target_id = number(digits)
    if target_id is None or action not in Tap.__members__.values():
        return None
    return UndoRef(Tap(action), target_id)


def undone_screen(undone: Undone) -> Screen | None:
    """The message as it was before the tap, to answer anew; None when nothing was undone."""
    member = undone.member
    t = catalog(member.language)
    if undone.tap is Tap.LEDGER and undone.interaction_id is not None:
        text = t("undo.ledger", contact=undone.contact or "")
        return Screen(text, buttons=ledger_buttons(member, undone.interaction_id))
    if undone.commitment is None:
        return None
    shown = commitment_screen(member, undone.commitment, undone.now)
    return Screen(Markup(t("undo.commitment") + "\n\n" + shown.text), buttons=shown.buttons)
