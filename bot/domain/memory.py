"""What the bot remembers for a member when it matters.

A weekly card recalls the member's last note on its principle or rule and, when the
card asks about them (its `memory` field), their open commitments or the contacts
overdue for a check-in; a check-in quotes the last note about its contact. All of it is
loaded for a whole batch of deliveries at once, one statement per need
(`storage.memory`), and lists stop at `MAX_LISTED` with a count of the rest.

Discretion: a member's words are quoted only into their own private chat (a Telegram
private chat's id is the member's user id); the screens keep them off the first line,
which a notification preview shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from content.cards import MEMORY_CHECKINS, MEMORY_COMMITMENTS, Card, Curriculum
from storage.memory import (
    Note,
    OpenCommitment,
    OverdueContact,
    contacts_overdue,
    last_notes_about_contacts,
    last_reflections_on,
    open_commitments_of,
)
from storage.models import User
from storage.unreadable import is_unreadable

__all__ = [
    "MAX_LISTED",
    "CardMemory",
    "CardWanted",
    "Note",
    "OpenCommitment",
    "OverdueContact",
    "card_memories",
    "contact_notes",
    "may_quote",
]

# A card lists at most this many open commitments or overdue contacts; "and N more" says
# the rest are in /commitments or /contacts.
MAX_LISTED: Final = 3


@dataclass(frozen=True, slots=True)
class CardMemory:
    """What a card recalls for one member; `now` is when it was recalled."""

    now: datetime
    note: Note | None = None
    commitments: tuple[OpenCommitment, ...] = ()
    overdue_contacts: tuple[OverdueContact, ...] = ()
    # Open commitments or overdue contacts beyond those listed.
    more: int = 0

    @property
    def is_empty(self) -> bool:
        """Nothing to recall."""
        return self.note is None and not self.commitments and not self.overdue_contacts


@dataclass(frozen=True, slots=True)
class CardWanted:
    """A card about to be shown to a member, on a delivery."""

    delivery_id: int
    user: User
    card: Card


def may_quote(user: User) -> bool:
    """Whether the member's words may be quoted in the chat the bot writes them in.

    Only in their private chat, whose id is their user id; never in a group.
    """
    return user.chat_id == user.telegram_id


def _readable(text: str | None) -> str | None:
    """The text, unless it is empty or could not be decrypted."""
    if text is None or is_unreadable(text) or not text.strip():
        return None
    return text


async def card_memories(
    session: AsyncSession, curriculum: Curriculum, wanted: Sequence[CardWanted], now: datetime
) -> dict[int, CardMemory]:
    """By delivery id: what each card recalls for its member (nothing: no entry).

    Three statements at most for any number of cards: the last notes on each card's
    theme, the open commitments of members whose card asks for them, the overdue
    contacts of members whose card asks for those.
    """
    quotable = [item for item in wanted if may_quote(item.user)]
    if not quotable:
        return {}
    theme_cards: dict[str, list[str]] = {}
    for card in curriculum:
        theme_cards.setdefault(card.theme, []).append(card.key)
    notes = await last_reflections_on(
        session,
        {item.user.id: theme_cards.get(item.card.theme, [item.card.key]) for item in quotable},
        except_deliveries=[item.delivery_id for item in quotable],
    )
    listing = {item.user.id: item.card.memory for item in quotable}
    commitments = await open_commitments_of(
        session, [user for user, kind in listing.items() if kind == MEMORY_COMMITMENTS], MAX_LISTED
    )
    contacts = await contacts_overdue(
        session,
        [user for user, kind in listing.items() if kind == MEMORY_CHECKINS],
        now,
        MAX_LISTED,
    )
    memories: dict[int, CardMemory] = {}
    for item in quotable:
        user_id = item.user.id
        note = notes.get(user_id)
        listed_commitments, open_total = commitments.get(user_id, ([], 0))
        listed_contacts, overdue_total = contacts.get(user_id, ([], 0))
        shown_commitments = tuple(c for c in listed_commitments if _readable(c.action))
        shown_contacts = tuple(c for c in listed_contacts if _readable(c.name))
        shown = len(shown_commitments) + len(shown_contacts)
        memory = CardMemory(
            now,
            note if note is not None and _readable(note.text) else None,
            tuple(replace(c, contact=_readable(c.contact)) for c in shown_commitments),
            shown_contacts,
            more=max(0, open_total + overdue_total - shown) if shown else 0,
        )
        if not memory.is_empty:
            memories[item.delivery_id] = memory
    return memories


async def contact_notes(session: AsyncSession, contacts: Mapping[int, User]) -> dict[int, Note]:
    """By contact id: the last note the member wrote about that contact (one statement).

    `contacts` maps each contact to its member; a member not in their private chat gets
    nothing quoted.
    """
    ids = [contact_id for contact_id, user in contacts.items() if may_quote(user)]
    found = await last_notes_about_contacts(session, ids)
    return {contact_id: note for contact_id, note in found.items() if _readable(note.text)}
