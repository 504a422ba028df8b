"""Screens for a contact's page and what can be done from it.

Every button carries the contact id (and a page or a second contact): `pv:12-0` shows
page 0 of contact 12, `pq:12-7` asks to merge 12 into 7.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.contact_page import (
    ContactAsked,
    ContactChange,
    ContactChanged,
    ContactPage,
    ContactQuestion,
    HistoryItem,
    ItemKind,
    MergeChoices,
    UnknownContact,
)
from bot.domain.contacts import CadenceResult
from bot.domain.members import Member
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.cancelling import cancel_row
from bot.screens.commitments import when
from bot.screens.contacts import cadence_screen
from bot.screens.fitting import shorten
from bot.screens.limits import limit_screen
from bot.screens.paging import page_line
from bot.screens.spans import cadence_phrase
from content.i18n import Markup, catalog
from storage.models import CommitmentStatus, Exchange

__all__ = [
    "BUTTON_KINDS",
    "CADENCE",
    "CADENCE_CHOICES",
    "COMMIT",
    "DELETE",
    "DELETE_DO",
    "MERGE",
    "MERGE_ASK",
    "MERGE_DO",
    "MET",
    "RENAME",
    "SET_CADENCE",
    "VIEW",
    "asked_screen",
    "changed_screen",
    "contact_page_screen",
    "merge_choices_screen",
    "render",
    "unknown_contact_screen",
]

VIEW = "pv"
MET = "pm"
COMMIT = "pc"
CADENCE = "pr"
SET_CADENCE = "pd"
RENAME = "pe"
MERGE = "pj"
MERGE_ASK = "pq"
MERGE_DO = "pg"
DELETE = "px"
DELETE_DO = "py"
BUTTON_KINDS = (
    VIEW,
    MET,
    COMMIT,
    CADENCE,
    SET_CADENCE,
    RENAME,
    MERGE,
    MERGE_ASK,
    MERGE_DO,
    DELETE,
    DELETE_DO,
)
# Days offered as buttons; any other cadence is one line: `/contact Anna alle 6 Wochen`.
CADENCE_CHOICES = (14, 28, 90)
# Names are at most 64 characters (older ones may be longer; emoji count twice); a page of
# eight texts of 300 units, its heading and its lines stay under Telegram's 4,096.
_NAME_UNITS = 128
_TEXT_UNITS = 300
# A name on a button is kept short enough for a phone's screen.
_LABEL_UNITS = 40
_EXCHANGE_KEYS = {
    Exchange.GAVE: "contact_page.gave",
    Exchange.RECEIVED: "contact_page.received",
    Exchange.BOTH: "contact_page.both",
}


def _name(name: str) -> str:
    return shorten(name, _NAME_UNITS)


def _back(member: Member, contact_id: int, name: str) -> Button:
    t = catalog(member.language)
    label = t("button.back_to_contact", contact=shorten(name, _LABEL_UNITS))
    return Button(label, encode(VIEW, f"{contact_id}-0"))


def _item_line(member: Member, item: HistoryItem, now: datetime) -> str:
    t = catalog(member.language)
    text = shorten(item.text or "", _TEXT_UNITS)
    moment = when(member, item.at, now)
    if item.kind is ItemKind.OPEN:
        return t("contact_page.open", action=text, when=moment)
    if item.kind is ItemKind.CLOSED:
        key = (
            "contact_page.done" if item.status is CommitmentStatus.DONE else "contact_page.released"
        )
        return t(key, action=text, when=moment)
    line = (
        t("contact_page.met_note", when=moment, note=text)
        if text
        else t("contact_page.met", when=moment)
    )
    if item.exchange is not None:
        line = Markup(f"{line} · {t(_EXCHANGE_KEYS[item.exchange])}")
    return line


def contact_page_screen(page: ContactPage) -> Screen:
    """The contact: cadence, balance, then open commitments, meetings and past commitments."""
    member = page.member
    t = catalog(member.language)
    lines = [str(t("contact_page.title", contact=_name(page.name)))]
    if page.cadence_days is not None and page.next_checkin_at is not None:
        every = cadence_phrase(t, page.cadence_days)
        lines.append(
            t(
                "contact_page.cadence",
                every=every,
                when=when(member, page.next_checkin_at, page.now),
            )
        )
    else:
        lines.append(t("contact_page.no_cadence"))
    lines.append(t("contact_page.balance", gave=page.gave, received=page.received, both=page.both))
    paging = page_line(member.language, page.page)
    if paging:
        lines.append(paging)
    blocks = ["\n".join(lines)]
    if page.items:
        blocks.append("\n".join(_item_line(member, item, page.now) for item in page.items))
    else:
        blocks.append(t("contact_page.empty"))
    rows: list[tuple[Button, ...]] = [
        (
            Button(t("button.contact_met"), encode(MET, page.contact_id)),
            Button(t("button.contact_commit"), encode(COMMIT, page.contact_id)),
        ),
        (
            Button(t("button.contact_cadence"), encode(CADENCE, page.contact_id)),
            Button(t("button.contact_rename"), encode(RENAME, page.contact_id)),
        ),
        (
            Button(t("button.contact_merge"), encode(MERGE, f"{page.contact_id}-0")),
            Button(t("button.contact_delete"), encode(DELETE, page.contact_id)),
        ),
    ]
    paging_row = []
    if page.page.has_previous:
        paging_row.append(
            Button(
                t("button.previous_page"), encode(VIEW, f"{page.contact_id}-{page.page.number - 1}")
            )
        )
    if page.page.has_next:
        paging_row.append(
            Button(t("button.next_page"), encode(VIEW, f"{page.contact_id}-{page.page.number + 1}"))
        )
    if paging_row:
        rows.append(tuple(paging_row))
    return Screen(Markup("\n\n".join(blocks)), buttons=tuple(rows))


def unknown_contact_screen(unknown: UnknownContact) -> Screen:
    """No contact by that name: how to make one."""
    if unknown.limit is not None:
        return limit_screen(unknown.member.language, unknown.limit)
    t = catalog(unknown.member.language)
    return Screen(t("contact_page.unknown", contact=_name(unknown.name)))


def asked_screen(asked: ContactAsked) -> Screen:
    """A question before a change: which cadence, the new name, delete?, merge?"""
    member = asked.member
    t = catalog(member.language)
    name = _name(asked.name)
    back = _back(member, asked.contact_id, asked.name)
    if asked.question is ContactQuestion.CADENCE:
        choices = tuple(
            Button(t(f"button.cadence_{days}"), encode(SET_CADENCE, f"{asked.contact_id}-{days}"))
            for days in CADENCE_CHOICES
        )
        stop = Button(t("button.cadence_off"), encode(SET_CADENCE, f"{asked.contact_id}-0"))
        return Screen(
            t("contact_page.ask_cadence", contact=name),
            buttons=(choices, (stop,), (back,)),
        )
    if asked.question is ContactQuestion.RENAME:
        return Screen(
            t("contact_page.ask_rename", contact=name),
            buttons=((back,), cancel_row(member.language)),
        )
    if asked.question is ContactQuestion.DELETE:
        yes = Button(t("button.contact_delete_confirm"), encode(DELETE_DO, asked.contact_id))
        return Screen(t("contact_page.ask_delete", contact=name), buttons=((yes, back),))
    other = _name(asked.other_name or "")
    yes = Button(
        t("button.contact_merge_confirm"), encode(MERGE_DO, f"{asked.contact_id}-{asked.other_id}")
    )
    return Screen(t("contact_page.ask_merge", contact=name, other=other), buttons=((yes, back),))


def merge_choices_screen(choices: MergeChoices) -> Screen:
    """Which contact to merge into: one button each, a page at a time."""
    member = choices.member
    t = catalog(member.language)
    back = _back(member, choices.contact_id, choices.name)
    if not choices.choices:
        return Screen(t("contact_page.merge_none", contact=_name(choices.name)), buttons=((back,),))
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                shorten(name, _LABEL_UNITS), encode(MERGE_ASK, f"{choices.contact_id}-{other_id}")
            ),
        )
        for other_id, name in choices.choices
    ]
    paging_row = []
    if choices.page.has_previous:
        paging_row.append(
            Button(
                t("button.previous_page"),
                encode(MERGE, f"{choices.contact_id}-{choices.page.number - 1}"),
            )
        )
    if choices.page.has_next:
        paging_row.append(
            Button(
                t("button.next_page"),
                encode(MERGE, f"{choices.contact_id}-{choices.page.number + 1}"),
            )
        )
    if paging_row:
        rows.append(tuple(paging_row))
    rows.append((back,))
    return Screen(t("contact_page.merge_which", contact=_name(choices.name)), buttons=tuple(rows))


def changed_screen(changed: ContactChanged) -> Screen:
    """Renamed, merged, deleted; or why the new name was not taken."""
    member = changed.member
    t = catalog(member.language)
    if changed.limit is not None and changed.contact_id is not None:  # the question is closed
        rename = Button(t("button.contact_rename"), encode(RENAME, changed.contact_id))
        back = _back(member, changed.contact_id, changed.name)
        text = t("contact_page.name_too_long", limit=changed.limit.maximum)
        return Screen(text, buttons=((rename,), (back,)))
    name, other = _name(changed.name), _name(changed.other_name or "")
    if changed.change is ContactChange.NAME_EMPTY:
        return Screen(t("contact_page.ask_rename", contact=name))
    if changed.change is ContactChange.DELETED:
        return Screen(t("contact_page.deleted", contact=name))
    if changed.change is ContactChange.NAME_TAKEN and changed.contact_id is not None:
        merge = Button(
            t("button.contact_merge_into", other=shorten(other, _LABEL_UNITS)),
            encode(MERGE_ASK, f"{changed.contact_id}-{changed.other_id}"),
        )
        return Screen(t("contact_page.name_taken", contact=name, other=other), buttons=((merge,),))
    key = (
        "contact_page.renamed" if changed.change is ContactChange.RENAMED else "contact_page.merged"
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if changed.contact_id is not None:
        buttons = ((_back(member, changed.contact_id, changed.other_name or ""),),)
    return Screen(t(key, contact=name, other=other), buttons=buttons)


def render(result: CadenceResult | ContactPage | UnknownContact) -> Screen:
    """What `/contact …` answers: the cadence set, the contact's page, or why not."""
    if isinstance(result, CadenceResult):
        return cadence_screen(result)
    if isinstance(result, ContactPage):
        return contact_page_screen(result)
    return unknown_contact_screen(result)
