"""What the bot recalls, as lines of a card, a check-in or a follow-up.

Members' words are cut to a short, one-line quote and never open a message: the first
line is what a notification preview shows, so every screen here is placed below one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from bot.domain.memory import CardMemory, Note
from bot.screens.fitting import shorten
from bot.screens.review import theme_name
from content.cards import Card
from content.i18n import Catalog, Markup, catalog, format_local_day

__all__ = [
    "MAX_QUOTE_UNITS",
    "ago_phrase",
    "card_lists",
    "card_note",
    "contact_note_line",
    "made_line",
    "quoted",
]

# A quote from a note shows at most this many UTF-16 units (one or two lines on a phone).
MAX_QUOTE_UNITS: Final = 160
# A commitment or a name in a card's list.
_ITEM_UNITS: Final = 80
_NAME_UNITS: Final = 40
_DAYS_AS_DAYS: Final = 14
_WEEKS_AS_WEEKS: Final = 17
_MONTHS_AS_MONTHS: Final = 24
_DAYS_PER_MONTH: Final = 30.44


def quoted(text: str, units: int = MAX_QUOTE_UNITS) -> str:
    """A member's text as a short quote: on one line, cut with an ellipsis."""
    # Whitespace is folded on a head of the text only: a note may be 4,096 characters.
    return shorten(" ".join(text[: units * 4].split()), units)


def ago_phrase(t: Catalog, then: datetime, now: datetime) -> Markup:
    """How long ago, as a sentence starts: "Vor 9 Wochen", "3 weeks ago", "Heute"."""
    days = max(0, (now - then).days)
    if days < _DAYS_AS_DAYS:
        return t.plural("memory.ago_days", days)
    if days < _WEEKS_AS_WEEKS * 7:
        return t.plural("memory.ago_weeks", days // 7)
    months = int(days / _DAYS_PER_MONTH)
    if months < _MONTHS_AS_MONTHS:
        return t.plural("memory.ago_months", months)
    return t.plural("memory.ago_years", months // 12)


def card_note(memory: CardMemory, language: str) -> Markup | None:
    """The member's earlier note on the card's principle or rule, quoted; None if none."""
    if memory.note is None:
        return None
    t = catalog(language)
    ago = ago_phrase(t, memory.note.written_at, memory.now)
    return t("memory.note", ago=ago, text=quoted(memory.note.text))


def card_lists(memory: CardMemory, language: str, timezone: str) -> Markup | None:
    """The open commitments or overdue contacts the card asks about; None if none."""
    t = catalog(language)
    lines: list[str] = []
    if memory.commitments:
        lines.append(t("memory.commitments_title"))
        for item in memory.commitments:
            due = format_local_day(item.due_at, timezone, language, now=memory.now)
            overdue = item.due_at <= memory.now
            when = t("memory.overdue" if overdue else "memory.due", when=due)
            action = shorten(item.action, _ITEM_UNITS)
            # "Anna anrufen (Anna)" says the name twice: it is left out of the brackets.
            if item.contact and item.contact.casefold() not in action.casefold():
                contact = shorten(item.contact, _NAME_UNITS)
                lines.append(t("memory.commitment", action=action, contact=contact, when=when))
            else:
                lines.append(t("memory.commitment_nobody", action=action, when=when))
        if memory.more:
            lines.append(t.plural("memory.more_commitments", memory.more))
    if memory.overdue_contacts:
        lines.append(t("memory.checkins_title"))
        for person in memory.overdue_contacts:
            name = shorten(person.name, _NAME_UNITS)
            if person.last_interaction_at is None:
                lines.append(t("memory.checkin_never", name=name))
            else:
                last = format_local_day(
                    person.last_interaction_at, timezone, language, now=memory.now
                )
                lines.append(t("memory.checkin", name=name, when=last))
        if memory.more:
            lines.append(t.plural("memory.more_checkins", memory.more))
    return Markup("\n".join(lines)) if lines else None


def contact_note_line(note: Note, language: str, timezone: str, now: datetime) -> Markup:
    """A check-in's quote of the last note about its contact."""
    t = catalog(language)
    when = format_local_day(note.written_at, timezone, language, now=now)
    return t("memory.contact_note", when=when, text=quoted(note.text))


def made_line(
    made_at: datetime, card: Card | None, language: str, timezone: str, now: datetime
) -> Markup:
    """When a commitment was made, and from which card: "Vorgenommen am 3. Nov. zur Karte …"."""
    t = catalog(language)
    day = format_local_day(made_at, timezone, language, now=now)
    if card is None:
        return t("memory.made", when=day)
    name = Markup(theme_name(t, card.theme, card))
    return t("memory.made_from_card", when=day, card=name)
