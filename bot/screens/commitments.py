"""Screens for making commitments, listing them and the share kept on time."""

from __future__ import annotations

from datetime import datetime

from bot.domain.commitment_text import QUICK_DUE_CHOICES
from bot.domain.commitments import Ask, CommitmentList, CommitmentView, CommitStep
from bot.domain.members import Member
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.cancelling import cancel_row
from bot.screens.fitting import shorten
from bot.screens.limits import limit_screen
from bot.screens.paging import page_buttons, page_line
from bot.screens.setup import missing_setup_screen
from content.i18n import Markup, catalog, format_local_datetime
from storage.models import CommitmentStatus
from storage.unreadable import is_unreadable

__all__ = [
    "ACTION",
    "CONTACT",
    "DONE",
    "KEEP",
    "MOVE_DUE",
    "NEW_CONTACT",
    "NEW_DUE",
    "OPEN",
    "PAGE",
    "RELEASE",
    "RENEGOTIATE",
    "SNOOZE",
    "commit_step_screens",
    "commitment_screen",
    "commitment_text",
    "commitments_screen",
    "due_buttons",
    "followup_buttons",
    "kept_screen",
    "when",
]

CONTACT = "cw"
ACTION = "ca"
NEW_DUE = "cn"
MOVE_DUE = "cv"
DONE = "cd"
RENEGOTIATE = "cr"
RELEASE = "cx"
SNOOZE = "cs"
PAGE = "cp"  # a page of /commitments
OPEN = "co"  # one commitment of the list, sent with its buttons
KEEP = "ck"  # which draft to keep: "old" or "new"
NEW_CONTACT = "cc"  # "new contact: Ben?": "yes", "other" or "none"
_DUE_CHOICES = (*QUICK_DUE_CHOICES, "other")
# In the list, an action and a name show at most this many UTF-16 units (emoji count
# twice), so five items and the header stay far under Telegram's 4,096.
_ACTION_UNITS = 200
_NAME_UNITS = 128
_BUTTON_UNITS = 28
_SUGGESTION_UNITS = 64


def when(member: Member, moment: datetime, now: datetime) -> str:
    """A moment in the member's zone and language (with its year when not `now`'s)."""
    return format_local_datetime(moment, member.timezone or "UTC", member.language, now=now)


def due_buttons(language: str, commitment_id: int | None = None) -> tuple[tuple[Button, ...], ...]:
    """Tomorrow / in 3 days / next week / another date, for a draft or a renegotiation."""
    t = catalog(language)

    def button(choice: str) -> Button:
        if commitment_id is None:
            return Button(t(f"button.due_{choice}"), encode(NEW_DUE, choice))
        return Button(t(f"button.due_{choice}"), encode(MOVE_DUE, f"{commitment_id}-{choice}"))

    return (
        tuple(button(choice) for choice in _DUE_CHOICES[:2]),
        tuple(button(choice) for choice in _DUE_CHOICES[2:]),
    )


def commitment_text(
    member: Member, item: CommitmentView, now: datetime, *, short: bool = False
) -> Markup:
    """A commitment in one or two lines: the action, the contact and the due moment.

    `short` cuts a long action and name, as the list shows them; a due moment outside
    `now`'s year shows its year, an open one already past is marked overdue.
    """
    t = catalog(member.language)
    due = when(member, item.due_at, now)
    if item.status is CommitmentStatus.OPEN and item.due_at <= now:
        due = t("commitments.overdue", when=due)
    action = shorten(item.action, _ACTION_UNITS) if short else item.action
    if item.contact:
        contact = shorten(item.contact, _NAME_UNITS) if short else item.contact
        return t("commitments.item", action=action, contact=contact, when=due)
    return t("commitments.item_nobody", action=action, when=due)


def _question(step: CommitStep) -> Screen:
    """The open question with its choices, and ✖ to leave without saving anything.

    A date that could not be taken (or a name beyond the limit) is said in the same
    message, above the question that asks again: one message, with the buttons it talks
    about.
    """
    language = step.member.language
    screen = _question_only(step)
    rows = (*screen.buttons, cancel_row(language))
    text = screen.text
    if step.problem is not None:
        text = Markup(catalog(language)(f"commit.{step.problem}") + "\n\n" + text)
    if step.limit is not None:
        text = Markup(limit_screen(language, step.limit).text + "\n\n" + text)
    return Screen(text, buttons=rows)


def _question_only(step: CommitStep) -> Screen:
    member = step.member
    t = catalog(member.language)
    if step.ask is Ask.WHO:
        rows = [
            (Button(name[:40], encode(CONTACT, contact_id)),) for contact_id, name in step.contacts
        ]
        rows.append((Button(t("button.nobody"), encode(CONTACT, 0)),))
        return Screen(t("commit.ask_who"), buttons=tuple(rows))
    if step.ask is Ask.WHAT:
        # A suggestion names the chosen contact in full: a long name is cut on the button.
        rows = [
            (Button(shorten(action, _SUGGESTION_UNITS), encode(ACTION, i)),)
            for i, action in enumerate(step.suggestions)
        ]
        text = (
            t("commit.ask_what", contact=step.contact)
            if step.contact
            else t("commit.ask_what_nobody")
        )
        return Screen(text, buttons=tuple(rows))
    if step.ask in (Ask.WHEN_TEXT, Ask.MOVE_TEXT):
        return Screen(t("commit.ask_when_text"))
    if step.ask is Ask.NEW_CONTACT:
        name = shorten(step.contact or "", _NAME_UNITS)
        confirm = tuple(
            (Button(t(f"button.new_contact_{choice}"), encode(NEW_CONTACT, choice)),)
            for choice in ("yes", "other", "none")
        )
        return Screen(t("commit.ask_new_contact", contact=name), buttons=confirm)
    if step.ask is Ask.KEEP:
        new = shorten(step.replacement or "", _ACTION_UNITS)
        text = (
            t("commit.ask_keep", action=shorten(step.action, _ACTION_UNITS), new=new)
            if step.action
            else t("commit.ask_keep_unnamed", new=new)
        )
        choices = (
            Button(t("button.keep_old"), encode(KEEP, "old")),
            Button(t("button.keep_new"), encode(KEEP, "new")),
        )
        return Screen(text, buttons=(choices,))
    if step.ask is Ask.MOVE:
        return Screen(
            t("followup.ask_new_date"), buttons=due_buttons(member.language, step.commitment_id)
        )
    return Screen(t("commit.ask_when"), buttons=due_buttons(member.language))


def commit_step_screens(step: CommitStep) -> list[Screen]:
    """Everything to send after one step of making or moving a commitment."""
    member = step.member
    t = catalog(member.language)
    screens: list[Screen] = []
    if step.problem == "not_ready":
        screens.append(missing_setup_screen(member))
    elif step.problem is not None and step.ask is None:
        screens.append(Screen(Markup(t(f"commit.{step.problem}") + " " + t("commit.try_again"))))
    if step.limit is not None and step.ask is None:
        screens.append(limit_screen(member.language, step.limit))
    if step.created is not None:
        created = Markup(commitment_text(member, step.created, step.now))
        screens.append(Screen(t("commit.created", commitment=created)))
    elif step.moved is not None:
        moved = when(member, step.moved.due_at, step.now)
        screens.append(Screen(t("followup.moved", when=moved)))
    elif step.ask is not None:
        screens.append(_question(step))
    elif not screens:
        screens.append(Screen(t("fallback.stale_button")))
    return screens


def followup_buttons(language: str, commitment_id: int) -> tuple[tuple[Button, ...], ...]:
    """Done / Renegotiate / Release, and Snooze for 1 day, 3 days or a week."""
    t = catalog(language)
    return (
        (
            Button(t("button.done"), encode(DONE, commitment_id)),
            Button(t("button.renegotiate"), encode(RENEGOTIATE, commitment_id)),
            Button(t("button.release"), encode(RELEASE, commitment_id)),
        ),
        tuple(
            Button(t(f"button.snooze_{days}"), encode(SNOOZE, f"{commitment_id}-{days}"))
            for days in (1, 3, 7)
        ),
    )


def commitments_screen(listing: CommitmentList) -> Screen:
    """`/commitments`: the kept line and one page of open commitments, numbered.

    A button per commitment sends it with its own buttons (done, renegotiate, …);
    ◀ / ▶ page through in place.
    """
    member = listing.member
    t = catalog(member.language)
    if not listing.items:
        return Screen(t("commitments.empty") + "\n\n" + kept_screen(listing).text)
    page = listing.page
    header = [t("commitments.title", count=page.total), kept_screen(listing).text]
    header += [line] if (line := page_line(member.language, page)) else []
    blocks = ["\n".join(header)]
    rows: list[tuple[Button, ...]] = []
    for number, item in enumerate(listing.items, start=page.offset + 1):
        blocks.append(f"{number}. {commitment_text(member, item, listing.now, short=True)}")
        # A label is plain text, not a catalog placeholder: say "unreadable" in words.
        action = t.raw("unreadable.text") if is_unreadable(item.action) else item.action
        label = f"{number}. {shorten(action, _BUTTON_UNITS)}"
        rows.append((Button(label, encode(OPEN, item.id)),))
    if navigation := page_buttons(member.language, PAGE, page):
        rows.append(navigation)
    return Screen(Markup("\n\n".join(blocks)), buttons=tuple(rows))


def commitment_screen(member: Member, item: CommitmentView, now: datetime) -> Screen:
    """One open commitment with its buttons: done, renegotiate, release, snooze."""
    return Screen(
        commitment_text(member, item, now), buttons=followup_buttons(member.language, item.id)
    )


def kept_screen(listing: CommitmentList) -> Screen:
    """`/kept`: the share of commitments kept or renegotiated on time."""
    t = catalog(listing.member.language)
    if listing.decided == 0:
        return Screen(t("kept.none"))
    percent = round(100 * listing.kept / listing.decided)
    return Screen(t("kept.line", kept=listing.kept, decided=listing.decided, percent=percent))
