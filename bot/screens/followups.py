"""Screens for follow-ups and check-ins, what their buttons did, and the ledger tap."""

from __future__ import annotations

from bot.domain.commitment_actions import ActionResult, CheckInResult, LedgerResult
from bot.domain.contacts import BalanceNote
from bot.domain.followups import CheckIn, FollowUp
from bot.domain.members import Member
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.cancelling import cancel_row
from bot.screens.commitments import commitment_text, due_buttons, followup_buttons, when
from bot.screens.memory import contact_note_line, made_line
from bot.screens.spans import cadence_phrase, times_phrase
from content.i18n import Markup, catalog, format_local_datetime

__all__ = [
    "CHECKIN_SNOOZE",
    "CHECKIN_STOP",
    "IN_TOUCH",
    "LEDGER",
    "balance_note_text",
    "checkin_result_screen",
    "checkin_screen",
    "done_screen",
    "followup_screen",
    "ledger_buttons",
    "ledger_screen",
    "released_screen",
    "renegotiate_screens",
    "snoozed_screen",
]

LEDGER = "lg"
IN_TOUCH = "kt"
CHECKIN_SNOOZE = "ks"
CHECKIN_STOP = "kx"


def followup_screen(item: FollowUp, *, heading: bool = True) -> Screen:
    """The follow-up at the due moment: contact and action in the text, four answers.

    On its own it opens with a heading (the first line, shown by a notification, holds
    no member text); in a digest the section's heading says it (`heading` False), and
    the item starts with the heading's mark.
    """
    t = catalog(item.language)
    # The ask goes out at its slot: a due moment in another year than that shows its year.
    due = format_local_datetime(item.due_at, item.timezone, item.language, now=item.slot_at)
    if item.contact:
        text = t("followup.ask", action=item.action, contact=item.contact, when=due)
    else:
        text = t("followup.ask_nobody", action=item.action, when=due)
    if item.made_at is not None:
        made = made_line(item.made_at, item.card, item.language, item.timezone, item.slot_at)
        text = Markup(text + "\n" + made)
    text = Markup(text + "\n" + t("followup.how"))
    first = t("followup.heading") + "\n" if heading else t("followup.mark") + " "
    text = Markup(first + text)
    if item.reminder:
        text = Markup(t("followup.reminder") + "\n\n" + text)
    return Screen(text, buttons=followup_buttons(item.language, item.commitment_id))


def checkin_screen(item: CheckIn, *, heading: bool = True) -> Screen:
    """Stay in touch: the cadence has passed since the last interaction.

    A heading opens it on its own, as a follow-up's does (see `followup_screen`).
    """
    t = catalog(item.language)
    if item.last_interaction_at is not None:
        last = format_local_datetime(
            item.last_interaction_at, item.timezone, item.language, now=item.slot_at
        )
        text = t("checkin.ask", contact=item.contact, last=last)
    else:
        cadence = cadence_phrase(t, item.cadence_days)
        text = t("checkin.ask_never", contact=item.contact, cadence=cadence)
    if item.note is not None:
        note = contact_note_line(item.note, item.language, item.timezone, item.slot_at)
        text = Markup(text + "\n\n" + note)
    first = t("checkin.heading") + "\n" if heading else t("checkin.mark") + " "
    text = Markup(first + text)
    if item.reminder:
        text = Markup(t("followup.reminder") + "\n\n" + text)
    contact = item.contact_id
    buttons = (
        (Button(t("button.in_touch"), encode(IN_TOUCH, contact)),),
        tuple(
            Button(t(f"button.snooze_{days}"), encode(CHECKIN_SNOOZE, f"{contact}-{days}"))
            for days in (1, 3, 7)
        ),
        (Button(t("button.stop_checkins"), encode(CHECKIN_STOP, contact)),),
    )
    return Screen(text, buttons=buttons)


def ledger_buttons(member: Member, interaction_id: int) -> tuple[tuple[Button, ...], ...]:
    """I gave / I received / both: one optional tap."""
    t = catalog(member.language)
    return (
        tuple(
            Button(t(f"button.{choice}"), encode(LEDGER, f"{interaction_id}-{choice}"))
            for choice in ("gave", "received", "both")
        ),
    )


def done_screen(result: ActionResult) -> Screen:
    """The follow-up after Done: kept, and the ledger tap if there is a contact."""
    member = result.member
    t = catalog(member.language)
    praise = t("followup.done") if result.on_time else t("followup.done_late")
    text = Markup(commitment_text(member, result.commitment, result.now) + "\n\n" + praise)
    if result.interaction_id is None or not result.commitment.contact:
        return Screen(text)
    text = Markup(text + "\n" + t("followup.ledger_ask", contact=result.commitment.contact))
    return Screen(text, buttons=ledger_buttons(member, result.interaction_id))


def released_screen(result: ActionResult) -> Screen:
    """The follow-up after Release: closed, without blame."""
    t = catalog(result.member.language)
    return Screen(
        Markup(
            commitment_text(result.member, result.commitment, result.now)
            + "\n\n"
            + t("followup.released")
        )
    )


def snoozed_screen(result: ActionResult) -> Screen:
    """The follow-up after Snooze: when it will ask again."""
    member = result.member
    t = catalog(member.language)
    until = when(member, result.snoozed_until or result.commitment.due_at, result.now)
    return Screen(
        Markup(
            commitment_text(member, result.commitment, result.now)
            + "\n\n"
            + t("followup.snoozed", when=until)
        )
    )


def renegotiate_screens(result: ActionResult) -> list[Screen]:
    """A message to forward to the contact (if there is one), then "the new date?"."""
    member = result.member
    t = catalog(member.language)
    item = result.commitment
    screens = []
    if item.contact:
        screens.append(Screen(t("renegotiate.intro", contact=item.contact)))
        screens.append(Screen(t("renegotiate.message", contact=item.contact)))
    rows = (*due_buttons(member.language, item.id), cancel_row(member.language))
    screens.append(Screen(t("followup.ask_new_date"), buttons=rows))
    return screens


def balance_note_text(member: Member, note: BalanceNote) -> Markup:
    """A gentle word on a lopsided give-and-take."""
    t = catalog(member.language)
    key = "ledger.note_taking" if note.received > note.gave else "ledger.note_giving"
    gave, received = times_phrase(t, note.gave), times_phrase(t, note.received)
    return t(key, contact=note.contact, gave=gave, received=received)


def ledger_screen(result: LedgerResult) -> Screen:
    """Confirm the ledger tap, with a note if the balance has tipped."""
    t = catalog(result.member.language)
    text = t("ledger.saved", contact=result.contact)
    if result.note is not None:
        text = Markup(text + "\n\n" + balance_note_text(result.member, result.note))
    return Screen(text)


def checkin_result_screen(result: CheckInResult) -> Screen:
    """The check-in after a button: in touch (with the ledger tap), snoozed, or stopped."""
    member = result.member
    t = catalog(member.language)
    if result.stopped:
        return Screen(t("checkin.stopped", contact=result.contact))
    if result.snoozed_until is not None:
        return Screen(t("followup.snoozed", when=when(member, result.snoozed_until, result.now)))
    text = Markup(
        t("checkin.in_touch", contact=result.contact)
        + "\n"
        + t("followup.ledger_ask", contact=result.contact)
    )
    assert result.interaction_id is not None
    return Screen(text, buttons=ledger_buttons(member, result.interaction_id))
