"""Screens for `/contacts`, `/contact … every 4 weeks` and `/met`."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.contacts import CadenceResult, ContactList, MetResult
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.cancelling import cancel_row
from bot.screens.commitments import when
from bot.screens.fitting import shorten
from bot.screens.followups import balance_note_text, ledger_buttons
from bot.screens.limits import limit_screen
from bot.screens.paging import page_buttons, page_line
from bot.screens.spans import cadence_phrase, span_phrase
from content.i18n import Markup, catalog, format_local_date

__all__ = ["CADENCE_NEW", "MET_NEW", "PAGE", "cadence_screen", "contacts_screen", "met_screen"]

PAGE = "kp"
MET_NEW = "mn"  # "new contact: Ben?" under a `/met` line: yes
CADENCE_NEW = "kn"  # "new contact: Tim?" under a `/contact Tim alle 4 Wochen`: yes
# Names are at most 64 characters; older ones may be longer, and emoji count twice.
_NAME_UNITS = 128


def contacts_screen(listing: ContactList) -> Screen:
    """A page of contacts: last interaction, open commitments, give and take; gentle notes.

    Ten contacts of the longest names, two notes and the header stay well under
    Telegram's 4,096 characters; ◀ / ▶ page through in place.
    """
    member = listing.member
    t = catalog(member.language)
    if not listing.contacts:
        return Screen(t("contacts.empty"))
    title = str(t("contacts.title", count=listing.page.total))
    page = page_line(member.language, listing.page)
    blocks = [f"{title}\n{page}" if page else title]
    for line in listing.contacts:
        last = (
            when(member, line.last_interaction_at, listing.now)
            if line.last_interaction_at
            else t("contacts.never")
        )
        text = t(
            "contacts.line",
            name=shorten(line.name, _NAME_UNITS),
            last=last,
            open=line.open_commitments,
            gave=line.gave,
            received=line.received,
        )
        if line.cadence_days is not None:
            cadence = cadence_phrase(t, line.cadence_days)
            text = Markup(text + "\n" + t("contacts.cadence", cadence=cadence))
        blocks.append(text)
    blocks += [
        balance_note_text(member, replace(note, contact=shorten(note.contact, _NAME_UNITS)))
        for note in listing.notes
    ]
    row = page_buttons(member.language, PAGE, listing.page)
    return Screen(Markup("\n\n".join(blocks)), buttons=(row,) if row else ())


def cadence_screen(result: CadenceResult) -> Screen:
    """Confirm a stay-in-touch cadence (or its end), or show how to set one."""
    member = result.member
    t = catalog(member.language)
    if result.limit is not None:
        return limit_screen(member.language, result.limit)
    if result.new_contact is not None and result.cadence_days is not None:
        confirm = (Button(t("button.new_contact_yes"), encode(CADENCE_NEW, "yes")),)
        return Screen(
            t(
                "contact.ask_new_contact",
                contact=shorten(result.new_contact, _NAME_UNITS),
                span=span_phrase(t, result.cadence_days),
            ),
            buttons=(confirm, cancel_row(member.language)),
        )
    if result.bad_input or result.contact is None:
        return Screen(t("contact.usage"))
    if result.unknown:
        return Screen(t("contact_page.unknown", contact=shorten(result.contact, _NAME_UNITS)))
    if result.cadence_days is None or result.next_checkin_at is None:
        return Screen(t("checkin.stopped", contact=result.contact))
    return Screen(
        t(
            "contact.set",
            contact=result.contact,
            span=span_phrase(t, result.cadence_days),
            when=when(member, result.next_checkin_at, result.now),
        )
    )


def met_screen(result: MetResult) -> Screen:
    """Confirm a logged interaction, with the optional ledger tap."""
    member = result.member
    t = catalog(member.language)
    if result.limit is not None:
        return limit_screen(member.language, result.limit)
    if result.new_contact is not None:
        confirm = (Button(t("button.new_contact_yes"), encode(MET_NEW, "yes")),)
        return Screen(
            t("met.ask_new_contact", contact=result.new_contact),
            buttons=(confirm, cancel_row(member.language)),
        )
    if result.contact is None or result.interaction_id is None:
        return Screen(t("met.usage"))
    saved = (
        t("met.saved", contact=result.contact)
        if result.met_at is None
        else t(
            "met.saved_on",
            contact=result.contact,
            day=format_local_date(
                result.met_at, member.timezone or "UTC", member.language, now=result.now
            ),
        )
    )
    text = Markup(saved + "\n" + t("followup.ledger_ask", contact=result.contact))
    return Screen(text, buttons=ledger_buttons(member, result.interaction_id))
