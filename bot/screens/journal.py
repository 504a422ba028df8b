"""Screens for one journal entry: opened in full, deleting it (with a confirm), an edit."""

from __future__ import annotations

import html

from bot.domain.journal import EntryDeleted, JournalEntryView, ReflectionEdited
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.fitting import shorten, split_to_fit
from bot.screens.reflection import JOURNAL, OPEN_ENTRY
from content.i18n import Markup, catalog, format_local_datetime
from storage.unreadable import is_unreadable

__all__ = [
    "BUTTON_KINDS",
    "DELETE",
    "DELETE_CONFIRM",
    "KEEP",
    "OPEN",
    "delete_ask_screen",
    "deleted_screen",
    "entry_actions_screen",
    "entry_screens",
    "reflection_edited_screen",
]

OPEN = OPEN_ENTRY
DELETE = "jd"
DELETE_CONFIRM = "jy"
KEEP = "jk"
BUTTON_KINDS = (OPEN, DELETE, DELETE_CONFIRM, KEEP)
# Telegram's 4,096 units, less the heading (date and a title of at most 128 units).
_PIECE_UNITS = 3800
_TITLE_UNITS = 128


def _heading(view: JournalEntryView) -> Markup:
    member = view.member
    when = format_local_datetime(
        view.written_at, member.timezone or "UTC", member.language, now=view.now
    )
    t = catalog(member.language)
    return t("journal.entry_heading", date=when, title=shorten(view.card_title, _TITLE_UNITS))


def _entry_buttons(view: JournalEntryView) -> tuple[tuple[Button, ...], ...]:
    t = catalog(view.member.language)
    return (
        (
            Button(t("button.delete_entry"), encode(DELETE, view.reflection_id)),
            Button(t("button.back_to_journal"), encode(JOURNAL, view.page)),
        ),
    )


def entry_screens(view: JournalEntryView) -> list[Screen]:
    """The reflection in full: one message, or several when it is too long for one; the
    last carries the buttons (delete, back to the journal)."""
    t = catalog(view.member.language)
    if is_unreadable(view.text):
        pieces = [t("unreadable.entry")]
    else:
        pieces = [
            Markup(html.escape(p, quote=False)) for p in split_to_fit(view.text, _PIECE_UNITS)
        ]
    pieces[0] = Markup(f"{_heading(view)}\n\n{pieces[0]}")
    screens = [Screen(piece) for piece in pieces[:-1]]
    return [*screens, Screen(pieces[-1], buttons=_entry_buttons(view))]


def entry_actions_screen(view: JournalEntryView) -> Screen:
    """The message with the entry's buttons, back as it was (after "keep it")."""
    return entry_screens(view)[-1]


def delete_ask_screen(view: JournalEntryView) -> Screen:
    """Ask before deleting: it cannot be undone."""
    t = catalog(view.member.language)
    return Screen(
        t("journal.delete_ask", heading=_heading(view)),
        buttons=(
            (
                Button(
                    t("button.delete_entry_confirm"), encode(DELETE_CONFIRM, view.reflection_id)
                ),
                Button(t("button.delete_entry_cancel"), encode(KEEP, view.reflection_id)),
            ),
        ),
    )


def deleted_screen(deleted: EntryDeleted) -> Screen:
    """Deleted, with the way back to the journal."""
    t = catalog(deleted.member.language)
    return Screen(
        t("journal.deleted"),
        buttons=((Button(t("button.back_to_journal"), encode(JOURNAL, deleted.page)),),),
    )


def reflection_edited_screen(edited: ReflectionEdited) -> Screen:
    """Confirm that an edited message changed its reflection (or why it did not)."""
    t = catalog(edited.member.language)
    if edited.too_long:
        return Screen(t("reflection.edit_too_long"))
    return Screen(t("reflection.edited", title=shorten(edited.card_title, _TITLE_UNITS)))
