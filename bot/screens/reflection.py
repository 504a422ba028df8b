"""Screens for reflecting, the journal, and pausing."""

from __future__ import annotations

from datetime import datetime

from bot.domain.availability import PauseOutcome
from bot.domain.members import Member
from bot.domain.reflections import JOURNAL_PAGE_SIZE, JournalPage, ReflectionAsked, ReflectionSaved
from bot.screens.base import Button, Screen
from bot.screens.callbacks import encode
from bot.screens.cancelling import cancel_row
from bot.screens.fitting import shorten
from bot.screens.limits import limit_screen
from bot.screens.reflection_answers import answer_screen
from bot.screens.setup import missing_setup_screen
from content.i18n import catalog, format_local_datetime
from storage.unreadable import is_unreadable

__all__ = [
    "JOURNAL",
    "OPEN_ENTRY",
    "journal_screen",
    "next_not_ready",
    "pause_screen",
    "reflection_asked",
    "reflection_saved",
    "resume_screen",
]

JOURNAL = "jr"
# Opens one entry in full (`bot.screens.journal` has its other buttons).
OPEN_ENTRY = "jo"
# Long reflections are shortened in the list so a page always fits one message: five
# previews of 600 UTF-16 units (emoji count twice), titles and dates stay under 4,096.
_ENTRY_PREVIEW = 600
_TITLE_UNITS = 128


def reflection_asked(asked: ReflectionAsked) -> Screen:
    """Invite the member to write, repeating the question they are answering."""
    t = catalog(asked.member.language)
    if asked.prompt is None:
        # "/next sends one" only where /next would: after set-up.
        return (
            Screen(t("reflection.no_prompt"))
            if asked.member.onboarded
            else next_not_ready(asked.member)
        )
    text = asked.prompt.card.text(asked.member.language)
    question = text.questions[asked.prompt.question_index % len(text.questions)]
    return Screen(
        t("reflection.ask", question=question), buttons=(cancel_row(asked.member.language),)
    )


def reflection_saved(saved: ReflectionSaved) -> Screen:
    """The answer to a kept reflection (or ask to shorten a text that is too long)."""
    if saved.too_long or saved.answer is None:
        return Screen(catalog(saved.member.language)("reflection.too_long"))
    return answer_screen(saved.member, saved.answer)


def journal_screen(page: JournalPage) -> Screen:
    """A page of reflections, newest first, with buttons to page through."""
    member = page.member
    t = catalog(member.language)
    if not page.entries:
        return Screen(t("journal.empty"))
    first = page.page * JOURNAL_PAGE_SIZE + 1
    last = first + len(page.entries) - 1
    lines: list[str] = [
        t("journal.title", first=first, last=last, total=page.total)
        if last > first
        else t("journal.title_one", first=first, total=page.total)
    ]
    opens = []
    for number, entry in enumerate(page.entries, start=first):
        text = (
            t("unreadable.entry")
            if is_unreadable(entry.text)
            else shorten(entry.text, _ENTRY_PREVIEW)
        )
        title = shorten(entry.card_title, _TITLE_UNITS)
        when = format_local_datetime(
            entry.written_at, member.timezone or "UTC", member.language, now=page.now
        )
        lines.append(f"<b>{number}.</b> " + t("journal.entry", date=when, title=title, text=text))
        # Each entry opens in full (and can be deleted there): "📖 3".
        opens.append(
            Button(t("button.open_entry", number=number), encode(OPEN_ENTRY, entry.reflection_id))
        )
    row = []
    if page.has_newer:
        row.append(Button(t("button.newer"), encode(JOURNAL, page.page - 1)))
    if page.has_older:
        row.append(Button(t("button.older"), encode(JOURNAL, page.page + 1)))
    rows = (tuple(opens), tuple(row)) if row else (tuple(opens),)
    return Screen("\n\n".join(lines), buttons=rows)


def pause_screen(outcome: PauseOutcome) -> Screen:
    """Confirm a pause, or explain how to give its length."""
    member = outcome.member
    t = catalog(member.language)
    if outcome.limit is not None:
        return limit_screen(member.language, outcome.limit)
    if outcome.bad_duration:
        return Screen(t("pause.bad_duration"))
    if outcome.until is None:
        return Screen(t("pause.open"))
    when = format_local_datetime(
        outcome.until, member.timezone or "UTC", member.language, now=outcome.now
    )
    return Screen(t("pause.until", when=when))


def resume_screen(member: Member, now: datetime) -> Screen:
    """Welcome back, with the next prompt's date."""
    t = catalog(member.language)
    if member.next_prompt_at is None or member.timezone is None:
        return Screen(t("resume.no_schedule"))
    when = format_local_datetime(member.next_prompt_at, member.timezone, member.language, now=now)
    return Screen(t("resume.done", when=when))


def next_not_ready(member: Member) -> Screen:
    """`/next` before onboarding is complete: what is missing, with its button."""
    return missing_setup_screen(member)
