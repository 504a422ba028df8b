"""Screens for `/contacts`, `/contact … every 4 weeks` and `/met`."""

from __future__ import annotations

from bot.domain.contacts import CadenceResult, ContactList, MetResult
from bot.screens.base import Screen
from bot.screens.commitments import when
from bot.screens.followups import balance_note_text, ledger_buttons
from content.i18n import Markup, catalog

__all__ = ["cadence_screen", "contacts_screen", "met_screen"]


def contacts_screen(listing: ContactList) -> Screen:
    """Each contact: last interaction, open commitments, give and take; then any gentle note."""
    member = listing.member
    t = catalog(member.language)
    if not listing.contacts:
        return Screen(t("contacts.empty"))
    blocks = [str(t("contacts.title", count=len(listing.contacts)))]
    for line in listing.contacts:
        last = (
            when(member, line.last_interaction_at)
            if line.last_interaction_at
            else t("contacts.never")
        )
        text = t(
            "contacts.line",
            name=line.name,
            last=last,
            open=line.open_commitments,
            gave=line.gave,
            received=line.received,
        )
        if line.cadence_days is not None:
            text = Markup(text + "\n" + t("contacts.cadence", days=line.cadence_days))
        blocks.append(text)
    blocks += [balance_note_text(member, note) for note in listing.notes]
    return Screen(Markup("\n\n".join(blocks)))


def cadence_screen(result: CadenceResult) -> Screen:
    """Confirm a stay-in-touch cadence (or its end), or show how to set one."""
    member = result.member
    t = catalog(member.language)
    if result.bad_input or result.contact is None:
        return Screen(t("contact.usage"))
    if result.cadence_days is None or result.next_checkin_at is None:
        return Screen(t("checkin.stopped", contact=result.contact))
    return Screen(
        t(
            "contact.set",
            contact=result.contact,
            days=result.cadence_days,
            when=when(member, result.next_checkin_at),
        )
    )


def met_screen(result: MetResult) -> Screen:
    """Confirm a logged interaction, with the optional ledger tap."""
    member = result.member
    t = catalog(member.language)
    if result.contact is None or result.interaction_id is None:
        return Screen(t("met.usage"))
    text = Markup(
        t("met.saved", contact=result.contact)
        + "\n"
        + t("followup.ledger_ask", contact=result.contact)
    )
    return Screen(text, buttons=ledger_buttons(member, result.interaction_id))
